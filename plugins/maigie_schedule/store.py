"""Reading blocks: one precompiled statement for every window query, rows as tuples.

Building a peewee query costs ≈120 µs a time; the window statement is compiled once per
engine and run with ``aio_execute_sql``. Rows come back as :class:`BlockRow` (no model
objects on the hot path); the few writes use the models.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from functools import lru_cache
from typing import Any, NamedTuple

from maigie_core.db import database
from maigie_schedule.models import Block

_COLUMNS = (
    Block.id,
    Block.title,
    Block.notes,
    Block.start_at,
    Block.end_at,
    Block.timezone,
    Block.rrule,
    Block.exdates,
    Block.course_id,
    Block.goal_id,
    Block.created_at,
    Block.updated_at,
)


class BlockRow(NamedTuple):
    id: uuid.UUID
    title: str
    notes: str
    start_at: datetime  # naive UTC
    end_at: datetime
    timezone: str
    rrule: str | None
    exdates: str
    course_id: uuid.UUID | None
    goal_id: uuid.UUID | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, block: Block) -> BlockRow:
        return cls(*(getattr(block, column.name) for column in _COLUMNS))


def _converters() -> list[Any]:
    return [column.python_value for column in _COLUMNS]


_CONVERT = _converters()


@lru_cache(maxsize=4096)
def to_row(raw: tuple[Any, ...]) -> BlockRow:
    """A fetched row as a :class:`BlockRow`; cached by its raw values (parsing SQLite's
    timestamp strings is the dearest step of a listing)."""
    return BlockRow(*(convert(value) for convert, value in zip(_CONVERT, raw, strict=True)))


@lru_cache(maxsize=4)
def _window_sql(engine: str) -> str:
    """``owner_id = ? AND start_at < hi AND (last_end_at IS NULL OR last_end_at > lo)``,
    compiled once per engine (named by its class)."""
    placeholder_time = datetime(2000, 1, 1)
    query = Block.select(*_COLUMNS).where(
        (Block.owner_id == uuid.UUID(int=0))
        & (Block.start_at < placeholder_time)
        & (Block.last_end_at.is_null() | (Block.last_end_at > placeholder_time))
    )
    sql, _params = query.sql()
    return str(sql)


async def _fetch_all(_db: Any, cursor: Any) -> list[Any]:
    return list(await cursor.fetchall())


async def rows_in_window(owner: uuid.UUID, lo: datetime, hi: datetime) -> list[BlockRow]:
    """Blocks of ``owner`` that may have an occurrence in [lo, hi) (naive UTC bounds)."""
    db = database.obj
    params = [Block.owner_id.db_value(owner), Block.start_at.db_value(hi)]
    params.append(Block.last_end_at.db_value(lo))
    raw = await db.aio_execute_sql(_window_sql(type(db).__name__), params, fetch_results=_fetch_all)
    return [to_row(tuple(r)) for r in raw]


@lru_cache(maxsize=4096)
def skipped(exdates: str) -> frozenset[datetime]:
    """The skipped occurrence starts of a block, as naive UTC."""
    if not exdates or exdates == "[]":
        return frozenset()
    return frozenset(
        datetime.fromisoformat(text).replace(tzinfo=None) for text in json.loads(exdates)
    )
