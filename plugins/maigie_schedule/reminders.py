"""Reminders and their delivery: the row is the truth, delivery claims it exactly once.

Delivery, while a consumer runs (``maigie serve`` on the embedded default, ``maigie
worker`` with Redis):

* creating (or moving) a reminder queues ``schedule.deliver_reminder`` for its
  ``remind_at`` (Huey keeps scheduled tasks in its storage, so they survive restarts);
  the scheduler checks every second, so delivery is within ~2 s of the time;
* ``schedule.sweep_reminders`` runs every minute, and once whenever an app or worker
  starts, and delivers every reminder that is due and still undelivered — whatever
  happened to its scheduled task (a failed enqueue, a lost queue, a worker that was
  down at the time);
* both deliver through one conditional ``UPDATE … SET delivered_at = now WHERE id = ?
  AND delivered_at IS NULL AND remind_at <= now``: whoever changes the row delivers,
  anyone else (a second worker, the sweep) finds nothing to do. The notification is
  written in that same transaction, so it exists exactly once; the ``reminder.due``
  event goes out after the commit.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from maigie_core import NotFound, Principal, emit, transaction
from maigie_core.db import utcnow
from maigie_core.pagination import page
from maigie_core.responses import rfc3339
from maigie_core.tasks import enqueue, enqueue_at
from maigie_schedule.models import Block, Reminder
from maigie_schedule.recurrence import series, utc_naive
from maigie_schedule.schemas import ReminderIn

if TYPE_CHECKING:
    from maigie_schedule.recurrence import Series
    from maigie_schedule.store import BlockRow

log = logging.getLogger("maigie.schedule")

DELIVER_TASK = "schedule.deliver_reminder"
SWEEP_TASK = "schedule.sweep_reminders"
#: A delivery task that runs this early (clock rounding) waits; earlier ones were moved.
EARLY_GRACE = 3.0
SWEEP_BATCH = 500


def reminder_json(row: Reminder) -> dict[str, Any]:
    return {
        "id": str(row.id),
        "message": row.message,
        "remind_at": rfc3339(row.remind_at),
        "delivered_at": rfc3339(row.delivered_at) if row.delivered_at else None,
        "block_id": str(row.block_id) if row.block_id else None,
        "minutes_before": row.minutes_before,
        "created_at": rfc3339(row.created_at),
        "updated_at": rfc3339(row.updated_at),
    }


def next_start(s: Series, skip: frozenset[datetime], minutes_before: int) -> datetime | None:
    """The start (naive UTC) of the first occurrence whose reminder time is still ahead."""
    lo = datetime.now(UTC) + timedelta(minutes=minutes_before)
    for start in s.starts_from(lo):
        if start.replace(tzinfo=None) not in skip:
            return utc_naive(start)
    return None


async def _own(user: Principal, reminder_id: str) -> Reminder:
    try:
        wanted = uuid.UUID(str(reminder_id))
    except ValueError:
        raise NotFound("Reminder not found") from None
    row: Reminder | None = await Reminder.aio_get_or_none(
        (Reminder.id == wanted) & (Reminder.owner_id == uuid.UUID(user.id))
    )
    if row is None:
        raise NotFound("Reminder not found")
    return row


async def create_reminder(user: Principal, data: ReminderIn) -> dict[str, Any]:
    """Store a reminder (for a time, or ahead of a block's next occurrence) and queue it."""
    from maigie_schedule.service import body_error
    from maigie_schedule.store import BlockRow, skipped

    owner = uuid.UUID(user.id)
    minutes = None
    if data.block_id is not None:
        block = await Block.aio_get_or_none((Block.id == data.block_id) & (Block.owner_id == owner))
        if block is None:
            raise body_error("block_id", "no block with this id (or not yours)")
        minutes = data.minutes_before if data.minutes_before is not None else 10
        row = BlockRow.of(block)
        start = next_start(
            series(row.rrule, row.start_at, row.end_at, row.timezone), skipped(row.exdates), minutes
        )
        if start is None:
            raise body_error("block_id", "the block has no occurrence ahead to remind of")
        remind_at = start - timedelta(minutes=minutes)
    else:
        assert data.remind_at is not None
        remind_at = utc_naive(data.remind_at)
    async with transaction():
        reminder = await Reminder.aio_create(
            owner_id=owner,
            message=data.message,
            remind_at=remind_at,
            block_id=data.block_id,
            minutes_before=minutes,
        )
    await schedule_delivery([(str(reminder.id), remind_at)])
    return reminder_json(reminder)


async def get_reminder(user: Principal, reminder_id: str) -> dict[str, Any]:
    return reminder_json(await _own(user, reminder_id))


async def delete_reminder(user: Principal, reminder_id: str) -> None:
    row = await _own(user, reminder_id)
    await Reminder.delete().where(Reminder.id == row.id).aio_execute()


async def list_page(
    user: Principal, status: str | None, limit: int, after: tuple[datetime, str] | None
) -> dict[str, Any]:
    """The user's reminders by ``remind_at`` (then id); ``status`` pending|delivered."""
    query = Reminder.select().where(Reminder.owner_id == uuid.UUID(user.id))
    if status == "pending":
        query = query.where(Reminder.delivered_at.is_null())
    elif status == "delivered":
        query = query.where(Reminder.delivered_at.is_null(False))
    if after is not None:
        moment, last_id = utc_naive(after[0]), uuid.UUID(after[1])
        query = query.where(
            (Reminder.remind_at > moment)
            | ((Reminder.remind_at == moment) & (Reminder.id > last_id))
        )
    query = query.order_by(Reminder.remind_at, Reminder.id).limit(limit + 1)
    rows = list(await query.aio_execute())
    return page(rows, limit, lambda r: (r.remind_at.replace(tzinfo=UTC), r.id), reminder_json)


# -- following a block -----------------------------------------------------------------


async def follow_block(row: BlockRow, s: Series) -> list[tuple[str, datetime]]:
    """A block moved: its pending reminders follow its next occurrence (or go)."""
    from maigie_schedule.store import skipped

    pending = (
        await Reminder.select()
        .where((Reminder.block_id == row.id) & Reminder.delivered_at.is_null())
        .aio_execute()
    )
    moved = []
    for reminder in pending:
        minutes = reminder.minutes_before or 0
        start = next_start(s, skipped(row.exdates), minutes)
        if start is None:
            await Reminder.delete().where(Reminder.id == reminder.id).aio_execute()
            continue
        remind_at = start - timedelta(minutes=minutes)
        await (
            Reminder.update(remind_at=remind_at, updated_at=utcnow())
            .where(Reminder.id == reminder.id)
            .aio_execute()
        )
        moved.append((str(reminder.id), remind_at))
    return moved


async def drop_for_block(block_id: uuid.UUID) -> None:
    """The block is deleted: its pending reminders go, delivered ones lose the link."""
    await (
        Reminder.delete()
        .where((Reminder.block_id == block_id) & Reminder.delivered_at.is_null())
        .aio_execute()
    )
    await Reminder.update(block_id=None).where(Reminder.block_id == block_id).aio_execute()


# -- delivery --------------------------------------------------------------------------


async def schedule_delivery(due: list[tuple[str, datetime]]) -> None:
    """Queue a delivery at each time (after commit). A failure is only logged: the sweep
    delivers from the rows whatever the queue lost."""
    now = utcnow()
    for reminder_id, remind_at in due:
        try:
            if remind_at <= now:
                await enqueue(DELIVER_TASK, reminder_id)
            else:
                await enqueue_at(remind_at, DELIVER_TASK, reminder_id)
        except Exception:
            log.exception("could not queue reminder %s; the sweep will deliver it", reminder_id)


async def claim_and_deliver(reminder_id: uuid.UUID) -> bool:
    """Deliver one due reminder unless someone already did (see the module docstring)."""
    # Imported here: the notifications service is the newest part of the core, and the
    # rest of the plugin must load (and the sweep retry) even where it is missing.
    from maigie_core.notifications import notify

    now = utcnow()
    async with transaction():
        claimed = await (
            Reminder.update(delivered_at=now, updated_at=now)
            .where(
                (Reminder.id == reminder_id)
                & Reminder.delivered_at.is_null()
                & (Reminder.remind_at <= now)
            )
            .aio_execute()
        )
        if claimed != 1:
            return False
        row: Reminder = await Reminder.aio_get(Reminder.id == reminder_id)
        body = reminder_json(row)
        await notify(
            str(row.owner_id),
            "reminder",
            row.message,
            data={
                "reminder_id": body["id"],
                "block_id": body["block_id"],
                "remind_at": body["remind_at"],
            },
        )
        await emit("reminder.due", str(row.owner_id), body)
    return True


async def deliver(reminder_id: str) -> bool:
    """Task: deliver one reminder at its time (a no-op if moved, deleted or delivered)."""
    try:
        wanted = uuid.UUID(reminder_id)
    except ValueError:
        return False
    row: Reminder | None = await Reminder.aio_get_or_none(Reminder.id == wanted)
    if row is None or row.delivered_at is not None:
        return False
    wait = (row.remind_at - utcnow()).total_seconds()
    if wait > EARLY_GRACE:
        return False  # moved later: its own delivery is queued
    if wait > 0:
        await asyncio.sleep(wait)
    return await claim_and_deliver(wanted)


async def sweep() -> int:
    """Task: deliver every reminder that is due and undelivered; returns how many."""
    due = await (
        Reminder.select(Reminder.id)
        .where(Reminder.delivered_at.is_null() & (Reminder.remind_at <= utcnow()))
        .order_by(Reminder.remind_at)
        .limit(SWEEP_BATCH)
        .aio_execute()
    )
    delivered = 0
    for row in due:
        try:
            delivered += await claim_and_deliver(row.id)
        except Exception:
            log.exception("delivering reminder %s failed; the next sweep retries", row.id)
    return delivered


async def reminders_of(owner: uuid.UUID) -> list[dict[str, Any]]:
    rows = (
        await Reminder.select()
        .where(Reminder.owner_id == owner)
        .order_by(Reminder.remind_at)
        .aio_execute()
    )
    return [reminder_json(r) for r in rows]


async def delete_everything(owner: uuid.UUID) -> None:
    await Reminder.delete().where(Reminder.owner_id == owner).aio_execute()
