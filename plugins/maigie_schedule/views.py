"""Reading the schedule: blocks and occurrences as JSON, series expansion, the window.

The window listing is the hot path of the plugin: each block's occurrences in a window
are expanded, formatted and JSON-encoded once and cached by (row, window, viewer's
zone) — rows are immutable tuples, so a changed block is a different cache key.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from maigie_core import Principal
from maigie_core.pagination import encode_cursor
from maigie_core.responses import rfc3339
from maigie_schedule import recurrence
from maigie_schedule.recurrence import Series, utc_naive, zone
from maigie_schedule.store import BlockRow, rows_in_window, skipped

# -- JSON -----------------------------------------------------------------------------


def _local(moment: datetime, tz: ZoneInfo) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(tz).isoformat()


def block_json(row: BlockRow, tz: ZoneInfo) -> dict[str, Any]:
    """A block as the API returns it; times with the offset of ``tz`` (the viewer's)."""
    return {
        "id": str(row.id),
        "title": row.title,
        "notes": row.notes,
        "start_at": _local(row.start_at, tz),
        "end_at": _local(row.end_at, tz),
        "timezone": row.timezone,
        "rrule": row.rrule,
        "exdates": sorted(rfc3339(moment) for moment in skipped(row.exdates)),
        "course_id": str(row.course_id) if row.course_id else None,
        "goal_id": str(row.goal_id) if row.goal_id else None,
        "created_at": rfc3339(row.created_at),
        "updated_at": rfc3339(row.updated_at),
    }


@lru_cache(maxsize=4096)
def _occurrence_base(row: BlockRow) -> dict[str, Any]:
    """What every occurrence of ``row`` shares (rows are immutable tuples: cacheable)."""
    return {
        "id": str(row.id),
        "title": row.title,
        "notes": row.notes,
        "timezone": row.timezone,
        "rrule": row.rrule,
        "recurring": row.rrule is not None,
        "course_id": str(row.course_id) if row.course_id else None,
        "goal_id": str(row.goal_id) if row.goal_id else None,
        "created_at": rfc3339(row.created_at),
        "updated_at": rfc3339(row.updated_at),
    }


def occurrence_json(row: BlockRow, start: datetime, end: datetime, tz: ZoneInfo) -> dict[str, Any]:
    """One occurrence: the block's ``id`` with this occurrence's own times."""
    return {
        **_occurrence_base(row),
        "start_at": start.astimezone(tz).isoformat(),
        "end_at": end.astimezone(tz).isoformat(),
    }


# -- expansion ------------------------------------------------------------------------


def series_of(row: BlockRow) -> Series:
    return recurrence.series(row.rrule, row.start_at, row.end_at, row.timezone)


def expand(row: BlockRow, lo: datetime, hi: datetime) -> Iterable[tuple[datetime, datetime]]:
    """(start, end), aware UTC, of the row's occurrences overlapping [lo, hi), skips left out."""
    skip = skipped(row.exdates)
    for start, end in series_of(row).between(lo, hi):
        if not skip or start.replace(tzinfo=None) not in skip:
            yield start, end


async def occurrences(
    owner: uuid.UUID, lo: datetime, hi: datetime, exclude: uuid.UUID | None = None
) -> list[tuple[datetime, datetime, BlockRow]]:
    """Every occurrence of the owner's blocks overlapping [lo, hi), sorted by (start, id)."""
    found: list[tuple[datetime, datetime, BlockRow]] = []
    for row in await rows_in_window(owner, utc_naive(lo), utc_naive(hi)):
        if row.id != exclude:
            found.extend((start, end, row) for start, end in expand(row, lo, hi))
    found.sort(key=lambda item: (item[0], str(item[2].id)))
    return found


#: Windows up to this long are cached (month views); longer ones are expanded each time.
CACHED_WINDOW = timedelta(days=45)


def _page_items(row: BlockRow, lo: datetime, hi: datetime, view: str) -> tuple[Item, ...]:
    if hi - lo <= CACHED_WINDOW:
        return _cached_page_items(row, lo, hi, view)
    return _expanded_items(row, lo, hi, view)


Item = tuple[datetime, str, dict[str, Any], str]


def _expanded_items(row: BlockRow, lo: datetime, hi: datetime, view: str) -> tuple[Item, ...]:
    """(start, id, item, item as JSON text) of ``row``'s occurrences in [lo, hi), as
    ``view`` sees them.

    Pure in its arguments (a changed block is a different row), so a window asked for
    again (a calendar view refreshing) costs no expansion, formatting or encoding.
    """
    tz = zone(view)
    items = []
    for start, end in expand(row, lo, hi):
        item = occurrence_json(row, start, end, tz)
        items.append((start, str(row.id), item, _dumps(item)))
    return tuple(items)


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


_cached_page_items = lru_cache(maxsize=1024)(_expanded_items)


async def _window(
    user: Principal, lo: datetime, hi: datetime, limit: int, after: tuple[datetime, str] | None
) -> tuple[list[Item], tuple[datetime, str] | None]:
    found: list[Item] = []
    for row in await rows_in_window(uuid.UUID(user.id), utc_naive(lo), utc_naive(hi)):
        found.extend(_page_items(row, lo, hi, user.timezone))
    found.sort(key=lambda item: (item[0], item[1]))
    if after is not None:
        found = [o for o in found if (o[0], o[1]) > after]
    more = (found[limit - 1][0], found[limit - 1][1]) if len(found) > limit else None
    return found[:limit], more


async def list_window(
    user: Principal,
    lo: datetime,
    hi: datetime,
    limit: int,
    after: tuple[datetime, str] | None,
) -> tuple[list[dict[str, Any]], tuple[datetime, str] | None]:
    """One page of occurrences in [lo, hi) and the (start, id) the next page follows."""
    page, more = await _window(user, lo, hi, limit, after)
    return [item[2] for item in page], more


async def list_window_text(
    user: Principal,
    lo: datetime,
    hi: datetime,
    limit: int,
    after: tuple[datetime, str] | None,
) -> str:
    """The page as the route sends it: ``{"items": [...], "next_cursor": ...}`` text,
    joined from each occurrence's cached JSON (no encoding per request)."""
    page, more = await _window(user, lo, hi, limit, after)
    cursor = _dumps(encode_cursor(*more)) if more else "null"
    return '{"items":[' + ",".join(item[3] for item in page) + '],"next_cursor":' + cursor + "}"
