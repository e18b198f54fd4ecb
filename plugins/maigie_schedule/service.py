"""Time blocks: create, read, change, delete, the window listing and the conflict search.

Conflicts: a new or moved block is compared with every occurrence of the user's other
blocks. A one-off block is compared as it is; a series by each of its occurrences
starting within a year of its first one (:data:`recurrence.YEAR`); other series are
expanded over that same span. Overlap is half-open: 09:00-10:00 and 10:00-11:00 do not
clash. Writes of one user are serialised (a PostgreSQL advisory lock; on SQLite every
write transaction is) so two concurrent requests cannot both pass the check.
"""

from __future__ import annotations

import itertools
import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from maigie_core import Conflict, NotFound, Principal, ValidationFailed, emit, transaction
from maigie_core import resolve_object as resolve
from maigie_core.db import database, is_postgres, utcnow
from maigie_core.responses import rfc3339
from maigie_schedule import recurrence, reminders
from maigie_schedule.models import Block
from maigie_schedule.recurrence import YEAR, RuleError, Series, utc_naive, zone
from maigie_schedule.schemas import BlockIn, BlockPatch
from maigie_schedule.store import BlockRow, skipped
from maigie_schedule.views import block_json, expand, occurrence_json, occurrences, series_of

#: A block may last at most this long (a whole exam week fits).
MAX_LENGTH = timedelta(days=31)
#: At most this many conflicting occurrences are listed in a 409's ``detail``.
MAX_REPORTED = 50


def body_error(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(
        "Request validation failed",
        detail=[{"loc": ["body", field], "msg": message, "type": "value_error"}],
    )


def parse_id(value: str, what: str = "Block") -> uuid.UUID:
    """A UUID from a URL; anything else is 404, never 500."""
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise NotFound(f"{what} not found") from None


def owner_of(user: Principal) -> uuid.UUID:
    return uuid.UUID(user.id)


# -- writing --------------------------------------------------------------------------


@asynccontextmanager
async def writing(owner: uuid.UUID) -> AsyncIterator[None]:
    """A transaction in which no other write of ``owner``'s schedule interleaves.

    PostgreSQL: a transaction-scoped advisory lock per owner. SQLite: every write
    transaction is already serialised (the process's writer lock and ``BEGIN
    IMMEDIATE`` across processes), and the conflict check reads inside it.
    """
    db = database.obj
    async with transaction():
        if is_postgres(db):
            key = int.from_bytes(owner.bytes[:8], "big", signed=True) ^ 0x5343484544
            await db.aio_execute_sql("SELECT pg_advisory_xact_lock(%s)", (key,))
        yield


def shape(
    start_at: datetime, end_at: datetime, rule_text: str | None, tz_name: str
) -> tuple[dict[str, Any], Series]:
    """Validate a block's times and rule: the columns to store and its expansion."""
    try:
        tz = zone(tz_name)
    except RuleError as exc:
        raise body_error("timezone", str(exc)) from None
    if end_at <= start_at:
        raise body_error("end_at", "end_at must be after start_at")
    if end_at - start_at > MAX_LENGTH:
        raise body_error("end_at", "a block lasts at most 31 days")
    rule = None
    text = None
    if rule_text is not None:
        text = recurrence.normalise(rule_text)
        try:
            rule = recurrence.parse(text, start_at.astimezone(tz))
        except RuleError as exc:
            raise body_error("rrule", str(exc)) from None
    start, end = utc_naive(start_at), utc_naive(end_at)
    s = recurrence.series(text, start, end, tz_name)
    columns = {
        "start_at": start,
        "end_at": end,
        "timezone": tz_name,
        "rrule": text,
        "last_end_at": recurrence.last_end(s),
    }
    if rule is not None:
        first = s.first_local.astimezone(UTC)
        runs = list(s.between(first, first + YEAR))
        if any(b[0] < a[1] for a, b in itertools.pairwise(runs)):
            raise body_error("rrule", "occurrences would overlap each other (block too long)")
    return columns, s


async def check_links(user: Principal, course_id: Any, goal_id: Any) -> None:
    """An optional course/goal must exist and be visible to the user (else 422)."""
    for kind, value in (("course", course_id), ("goal", goal_id)):
        if value is not None and await resolve(kind, str(value), user) is None:
            raise body_error(f"{kind}_id", f"no {kind} with this id (or not yours)")


async def assert_free(
    user: Principal, s: Series, skip: frozenset[datetime], exclude: uuid.UUID | None
) -> None:
    """409 CONFLICT listing the occurrences the block would overlap (see module doc)."""
    first = s.first_local.astimezone(UTC)
    mine = [(a, b) for a, b in s.between(first, first + YEAR) if a.replace(tzinfo=None) not in skip]
    if not mine:
        return
    lo, hi = mine[0][0], max(b for _a, b in mine)
    others = await occurrences(owner_of(user), lo, hi, exclude)
    hits = recurrence.overlapping(mine, [(a, b, (a, b, row)) for a, b, row in others])
    if hits:
        tz = zone(user.timezone)
        listed = [occurrence_json(row, a, b, tz) for a, b, row in hits[:MAX_REPORTED]]
        raise Conflict(
            f"This block overlaps {len(hits)} occurrence(s) of your schedule; "
            "send allow_overlap: true to keep both",
            detail=listed,
        )


async def own_block(user: Principal, block_id: str) -> Block:
    wanted = parse_id(block_id)
    block: Block | None = await Block.aio_get_or_none(
        (Block.id == wanted) & (Block.owner_id == owner_of(user))
    )
    if block is None:
        raise NotFound("Block not found")
    return block


async def get_block(user: Principal, block_id: str) -> dict[str, Any]:
    return block_json(BlockRow.of(await own_block(user, block_id)), zone(user.timezone))


async def create_block(user: Principal, data: BlockIn) -> dict[str, Any]:
    columns, s = shape(data.start_at, data.end_at, data.rrule, data.timezone or user.timezone)
    await check_links(user, data.course_id, data.goal_id)
    owner = owner_of(user)
    async with writing(owner):
        if not data.allow_overlap:
            await assert_free(user, s, frozenset(), None)
        block = await Block.aio_create(
            owner_id=owner,
            title=data.title,
            notes=data.notes,
            course_id=data.course_id,
            goal_id=data.goal_id,
            **columns,
        )
        body = block_json(BlockRow.of(block), zone(user.timezone))
        await emit("schedule.created", user.id, body)
    return body


async def update_block(user: Principal, block_id: str, patch: BlockPatch) -> dict[str, Any]:
    """Change a whole series; a new time or rule clears skipped occurrences."""
    given = patch.model_fields_set - {"allow_overlap"}
    owner = owner_of(user)
    moved: list[tuple[str, datetime]] = []
    async with writing(owner):
        block = await own_block(user, block_id)
        row = BlockRow.of(block)
        changes: dict[str, Any] = {
            name: getattr(patch, name) for name in ("title", "notes") if name in given
        }
        timing = given & {"start_at", "end_at", "rrule", "timezone"}
        if timing:
            start = patch.start_at or row.start_at.replace(tzinfo=UTC)
            end = patch.end_at
            if end is None:
                end = start + (row.end_at - row.start_at)
            rule = patch.rrule if "rrule" in given else row.rrule
            tz_name = patch.timezone or row.timezone
            columns, s = shape(start, end, rule, tz_name)
            changes.update(columns)
            changes["exdates"] = "[]"
            if not patch.allow_overlap:
                await assert_free(user, s, frozenset(), block.id)
        for name in ("course_id", "goal_id"):
            if name in given:
                changes[name] = getattr(patch, name)
        if {"course_id", "goal_id"} & given:
            await check_links(user, changes.get("course_id"), changes.get("goal_id"))
        if changes:
            changes["updated_at"] = utcnow()
            await Block.update(**changes).where(Block.id == block.id).aio_execute()
            for name, value in changes.items():
                setattr(block, name, value)
        row = BlockRow.of(block)
        if timing:
            moved = await reminders.follow_block(row, series_of(row))
        body = block_json(row, zone(user.timezone))
        if changes:
            await emit("schedule.updated", user.id, body)
    await reminders.schedule_delivery(moved)
    return body


async def _occurrence_of(row: BlockRow, raw: str) -> tuple[datetime, datetime]:
    """The occurrence of ``row`` starting at ``raw`` (any offset); 404 if there is none."""
    from maigie_schedule.windows import parse_instant

    moment = parse_instant(raw, zone(row.timezone), "occurrence")
    for start, end in expand(row, moment, moment + timedelta(seconds=1)):
        if start == moment:
            return start, end
    raise NotFound("This block has no occurrence at that time")


def _with_skip(row: BlockRow, start: datetime) -> str:
    moments = {rfc3339(m) for m in skipped(row.exdates)} | {rfc3339(start)}
    return json.dumps(sorted(moments))


async def skip_occurrence(user: Principal, block_id: str, occurrence: str) -> None:
    """Delete one occurrence (an EXDATE); the only occurrence of a block deletes it."""
    owner = owner_of(user)
    async with writing(owner):
        block = await own_block(user, block_id)
        row = BlockRow.of(block)
        start, _end = await _occurrence_of(row, occurrence)
        if row.rrule is None:
            await _delete(user, block)
            return
        now = utcnow()
        exdates = _with_skip(row, start)
        await (
            Block.update(exdates=exdates, updated_at=now).where(Block.id == block.id).aio_execute()
        )
        block.exdates, block.updated_at = exdates, now
        await emit("schedule.updated", user.id, block_json(BlockRow.of(block), zone(user.timezone)))


async def detach_occurrence(
    user: Principal, block_id: str, occurrence: str, patch: BlockPatch
) -> dict[str, Any]:
    """Change one occurrence: it leaves the series (EXDATE) as a one-off block of its own."""
    if "rrule" in patch.model_fields_set and patch.rrule is not None:
        raise body_error("rrule", "one occurrence cannot recur; change the series instead")
    owner = owner_of(user)
    async with writing(owner):
        block = await own_block(user, block_id)
        row = BlockRow.of(block)
        start, end = await _occurrence_of(row, occurrence)
        if row.rrule is None:
            raise body_error("occurrence", "this block does not recur; PATCH it without occurrence")
        new_start = patch.start_at or start
        new_end = patch.end_at or (new_start + (end - start))
        columns, s = shape(new_start, new_end, None, patch.timezone or row.timezone)
        now = utcnow()
        exdates = _with_skip(row, start)
        await (
            Block.update(exdates=exdates, updated_at=now).where(Block.id == block.id).aio_execute()
        )
        block.exdates, block.updated_at = exdates, now
        if not patch.allow_overlap:
            await assert_free(user, s, frozenset(), None)
        fields = patch.model_fields_set
        links = {
            name: getattr(patch, name) if name in fields else getattr(row, name)
            for name in ("course_id", "goal_id")
        }
        if {"course_id", "goal_id"} & fields:
            await check_links(user, links["course_id"], links["goal_id"])
        single = await Block.aio_create(
            owner_id=owner,
            title=patch.title if "title" in fields else row.title,
            notes=patch.notes if "notes" in fields else row.notes,
            **links,
            **columns,
        )
        tz = zone(user.timezone)
        await emit("schedule.updated", user.id, block_json(BlockRow.of(block), tz))
        body = block_json(BlockRow.of(single), tz)
        await emit("schedule.created", user.id, body)
    return body


async def _delete(user: Principal, block: Block) -> None:
    await reminders.drop_for_block(block.id)
    await Block.delete().where(Block.id == block.id).aio_execute()
    await emit("schedule.deleted", user.id, {"id": str(block.id)})


async def delete_block(user: Principal, block_id: str) -> None:
    """Delete a block (the whole series) and its reminders that are still pending."""
    async with writing(owner_of(user)):
        await _delete(user, await own_block(user, block_id))


async def blocks_of(owner: uuid.UUID) -> list[BlockRow]:
    query = Block.select().where(Block.owner_id == owner).order_by(Block.start_at, Block.id)
    return [BlockRow.of(block) for block in await query.aio_execute()]


async def delete_everything(owner: uuid.UUID) -> None:
    await Block.delete().where(Block.owner_id == owner).aio_execute()
