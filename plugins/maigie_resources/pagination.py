"""The cursor of a ranked search page: the core's style, keyed by score instead of time.

Listing pages use ``maigie_core.pagination`` as every list does (keyset on
``(created_at, id)``). A search is ordered by relevance, so its cursor carries
``(score, id)`` of the last item, plus a fingerprint tying it to the query (``q``,
``type``, ``tag``) it came from. Either way, a cursor the API did not hand out is the
core's 422 naming ``cursor``, never a 500.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import uuid
import zlib
from typing import Any

from maigie_core.pagination import invalid_cursor


def fingerprint(*parts: str | None) -> int:
    return zlib.crc32("\x1f".join(p or "" for p in parts).encode())


def encode_ranked(score: float, item_id: Any, print_: int) -> str:
    raw = json.dumps(["r", score, uuid.UUID(str(item_id)).hex, print_], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_ranked(token: str, print_: int) -> tuple[float, uuid.UUID]:
    """``(score, id)`` from a search cursor of this very query; 422 otherwise."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        mode, score, item_id, got_print = json.loads(raw)
        if mode != "r" or got_print != print_:
            raise ValueError("a cursor of another query")
        if isinstance(score, bool) or not isinstance(score, int | float):
            raise ValueError("not a score")
        if not math.isfinite(score):
            raise ValueError("not a score")
        return float(score), uuid.UUID(item_id)
    except (ValueError, TypeError, AttributeError, binascii.Error, UnicodeError):
        raise invalid_cursor() from None
