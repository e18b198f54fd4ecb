"""Query parameters of the schedule: the time window, occurrence times, pagination
(the core's cursor, limit parsed by hand).

Parsed by hand from ``request.args`` (a pydantic model per request costs more than the
listing); every bad value is the same 422 envelope, with ``loc`` naming the parameter.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from maigie_core import ValidationFailed
from maigie_core.instants import OUT_OF_RANGE, date_within_range, within_range
from maigie_core.pagination import DEFAULT_LIMIT, MAX_LIMIT, decode_cursor

#: The widest window ``GET /schedule`` expands (a leap year fits).
MAX_WINDOW = timedelta(days=366)
_LIMIT = re.compile(r"[0-9]{1,3}")


def invalid(where: str, message: str) -> ValidationFailed:
    """The 422 for query parameter ``where``, located as every route locates one."""
    return ValidationFailed(
        "Request validation failed",
        detail=[{"loc": [where], "msg": message, "type": "value_error"}],
    )


def local_midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


def parse_instant(raw: str, tz: ZoneInfo, name: str) -> datetime:
    """An ISO 8601 date-time (aware UTC); naive values and bare dates are in ``tz``.

    A ``+`` turned into a space by an unencoded query string is put back.
    """
    text = raw.strip().replace(" ", "+")
    if len(text) == 10:
        try:
            day = date.fromisoformat(text)
        except ValueError:
            pass
        else:
            return local_midnight(_in_range(day, name), tz)
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise invalid(name, f"{name} must be an ISO 8601 date-time or YYYY-MM-DD") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=tz)
    try:
        within_range(value)
    except ValueError:
        raise invalid(name, f"{name} {OUT_OF_RANGE}") from None
    return value.astimezone(UTC)


def _in_range(day: date, name: str) -> date:
    try:
        return date_within_range(day)
    except ValueError:
        raise invalid(name, f"{name} {OUT_OF_RANGE}") from None


def parse_window(args: Mapping[str, str], tz: ZoneInfo) -> tuple[datetime, datetime]:
    """``?date=`` (a day in the user's zone), ``?start=&end=``, or today; as aware UTC."""
    day, start, end = args.get("date"), args.get("start"), args.get("end")
    if day is not None:
        if start is not None or end is not None:
            raise invalid("date", "give either date or start and end, not both")
        try:
            wanted = date.fromisoformat(day)
        except ValueError:
            raise invalid("date", "date must be YYYY-MM-DD") from None
        _in_range(wanted, "date")
        return local_midnight(wanted, tz), local_midnight(wanted + timedelta(days=1), tz)
    if start is None and end is None:
        today = datetime.now(tz).date()
        return local_midnight(today, tz), local_midnight(today + timedelta(days=1), tz)
    if start is None or end is None:
        raise invalid("end" if end is None else "start", "start and end go together")
    lo, hi = parse_instant(start, tz, "start"), parse_instant(end, tz, "end")
    if hi <= lo:
        raise invalid("end", "end must be after start")
    if hi - lo > MAX_WINDOW:
        raise invalid("end", "the window must not be longer than a year (366 days)")
    return lo, hi


def parse_limit(args: Mapping[str, str]) -> int:
    raw = args.get("limit")
    if raw is None:
        return DEFAULT_LIMIT
    if not _LIMIT.fullmatch(raw) or not 1 <= int(raw) <= MAX_LIMIT:
        raise invalid("limit", f"limit must be an integer from 1 to {MAX_LIMIT}")
    return int(raw)


def parse_cursor(args: Mapping[str, str]) -> tuple[datetime, str] | None:
    """The (time, id) a page continues after (the core's keyset cursor); ``None`` first."""
    after = decode_cursor(args.get("cursor"))
    if after is None:
        return None
    moment = after[0] if after[0].tzinfo else after[0].replace(tzinfo=UTC)
    return moment.astimezone(UTC), str(after[1])
