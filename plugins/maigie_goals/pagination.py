"""The core's pagination style (``maigie_core.pagination``), read without pydantic.

Goal pages use the core's ``(created_at, id)`` cursor; task pages are ordered by
position, so their cursor is the last position (same opaque base64 form).

``?limit=`` (1-100, default 20), an opaque ``?cursor=`` and the list's filters; any
other parameter is refused, as ``PageQuery`` does. Parsed by hand because validating a
query string through quart-schema builds a pydantic TypeAdapter per request, which
costs more than the rest of a list; a bad value raises the same 422 envelope.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping

from maigie_core import ValidationFailed
from maigie_core.pagination import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    decode_cursor,
    invalid_cursor,
)

_LIMIT = re.compile(r"[0-9]{1,3}")
_MAX_CURSOR = 200


def invalid(field: str, message: str, kind: str = "value_error") -> ValidationFailed:
    return ValidationFailed(
        "Request validation failed", detail=[{"loc": [field], "msg": message, "type": kind}]
    )


def check_names(args: Mapping[str, str], allowed: frozenset[str]) -> None:
    for name in args:
        if name not in allowed:
            raise invalid(name, "unknown query parameter", "extra_forbidden")


def parse_limit(args: Mapping[str, str]) -> int:
    raw = args.get("limit")
    if raw is None:
        return DEFAULT_LIMIT
    if not _LIMIT.fullmatch(raw) or not 1 <= int(raw) <= MAX_LIMIT:
        raise invalid("limit", f"limit must be an integer from 1 to {MAX_LIMIT}")
    return int(raw)


def _cursor(args: Mapping[str, str]) -> str | None:
    raw = args.get("cursor")
    if raw and len(raw) > _MAX_CURSOR:
        raise invalid_cursor()
    return raw or None


def parse_goal_cursor(args: Mapping[str, str]) -> list[object] | None:
    """The (created_at, id) after which the page starts, as statement parameters."""
    after = decode_cursor(_cursor(args))
    return None if after is None else [after[0], after[1].hex]


def task_cursor(position: int) -> str:
    return base64.urlsafe_b64encode(f"task|{position}".encode()).decode().rstrip("=")


def parse_task_cursor(args: Mapping[str, str]) -> int | None:
    raw = _cursor(args)
    if raw is None:
        return None
    try:
        kind, position = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode().split("|")
    except (binascii.Error, UnicodeError, ValueError):
        raise invalid_cursor() from None
    if kind != "task" or not position.isdigit():
        raise invalid_cursor()
    return int(position)


def parse_choice(args: Mapping[str, str], name: str, choices: tuple[str, ...]) -> str | None:
    raw = args.get(name)
    if raw is None:
        return None
    if raw not in choices:
        raise invalid(name, f"{name} must be one of: {', '.join(choices)}", "enum")
    return raw
