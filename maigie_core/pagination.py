"""The one pagination style (SPEC §5): ``?limit=`` 1-100 (default 20) and an opaque ``?cursor=``.

Lists answer ``{"items": [...], "next_cursor": "..." | null}``. Cursors are keyset
positions — by default ``(created_at, id)`` of the last item — encoded as URL-safe
base64, so a client can only hand back what the API gave it; anything else is the 422
envelope naming ``cursor``.

    @validate_querystring(PageQuery)
    async def list_things(query_args: PageQuery):
        after = decode_cursor(query_args.cursor)        # None or (created_at, UUID)
        rows = await fetch(limit=query_args.limit + 1, after=after)
        return page(rows, query_args.limit, lambda r: (r["created_at"], r["id"]))
"""

from __future__ import annotations

import base64
import binascii
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from maigie_core.errors import ValidationFailed
from maigie_core.instants import within_range

DEFAULT_LIMIT = 20
MAX_LIMIT = 100

T = TypeVar("T")


class PageQuery(BaseModel):
    """The pagination query string; extend it with a list's own filters."""

    model_config = ConfigDict(extra="forbid")

    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
    cursor: str | None = Field(None, max_length=200)


def invalid_cursor() -> ValidationFailed:
    return ValidationFailed(
        "Request validation failed",
        detail=[
            {"loc": ["cursor"], "msg": "not a cursor this API returned", "type": "value_error"}
        ],
    )


def encode_cursor(created_at: datetime | str, item_id: Any) -> str:
    """The cursor after an item whose sort key is ``(created_at, id)``."""
    stamp = created_at if isinstance(created_at, str) else created_at.isoformat()
    text = f"{stamp}|{uuid.UUID(str(item_id)).hex}"
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> tuple[datetime, uuid.UUID] | None:
    """``(created_at, id)`` from a cursor, ``None`` for no cursor, 422 for a forged one.

    The time comes back as naive UTC, as the database stores it: a forged cursor's
    offset (``+23:59`` is a PostgreSQL error) or year 1/9999 (an ``OverflowError`` in
    the schedule) never reaches a query.
    """
    if not cursor:
        return None
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        stamp, item_id = text.split("|")
        moment = within_range(datetime.fromisoformat(stamp))
        if moment.tzinfo is not None:
            moment = moment.astimezone(UTC).replace(tzinfo=None)
        return moment, uuid.UUID(item_id)
    except (binascii.Error, UnicodeError, ValueError):
        raise invalid_cursor() from None


def page(
    rows: Sequence[T],
    limit: int,
    key: Callable[[T], tuple[datetime | str, Any]],
    render: Callable[[T], Any] | None = None,
) -> dict[str, Any]:
    """``{"items", "next_cursor"}`` from up to ``limit + 1`` rows fetched after the cursor."""
    more = len(rows) > limit
    shown = rows[:limit]
    return {
        "items": [render(r) for r in shown] if render else list(shown),
        "next_cursor": encode_cursor(*key(shown[-1])) if more and shown else None,
    }
