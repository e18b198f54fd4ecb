"""The schedule plugin: time blocks with recurrence, conflicts, reminders, a calendar feed.

Installed as the ``schedule`` entry point of ``maigie.plugins``; it imports no other
plugin (a linked course or goal is read through ``resolve_object``). This module holds
every hook implementation; the rest lives in ``routes``, ``service``, ``recurrence``,
``reminders``, ``ical`` and ``planning``.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from quart import Blueprint

from maigie_core import AIAction, Migrations, Principal, TierLimit, hookimpl
from maigie_core.tasks import EVERY_MINUTE, TaskDefinition, enqueue, periodic_task, task
from maigie_schedule import reminders, service, views
from maigie_schedule.actions import ACTIONS
from maigie_schedule.models import Block, Feed
from maigie_schedule.planning import LIMIT
from maigie_schedule.recurrence import zone
from maigie_schedule.routes import reminders_blueprint, schedule_blueprint
from maigie_schedule.store import BlockRow

__version__ = "1.0.0"

log = logging.getLogger("maigie.schedule")


@task(reminders.DELIVER_TASK, category="schedule", retries=3, retry_delay=2)
async def deliver_reminder(reminder_id: str) -> bool:
    """Deliver one reminder at its time (exactly once; see maigie_schedule.reminders)."""
    return await reminders.deliver(reminder_id)


@periodic_task(reminders.SWEEP_TASK, EVERY_MINUTE, category="schedule")
async def sweep_reminders() -> int:
    """Deliver every reminder that is due and undelivered (lost tasks, worker downtime)."""
    return await reminders.sweep()


@hookimpl
def register_blueprints() -> list[Blueprint]:
    return [schedule_blueprint, reminders_blueprint]


@hookimpl
def register_migrations() -> Migrations:
    return Migrations(owner="schedule", package="maigie_schedule.migrations")


@hookimpl
def register_tasks() -> list[TaskDefinition]:
    return [deliver_reminder, sweep_reminders]


@hookimpl
def register_tier_limits() -> list[TierLimit]:
    return [
        TierLimit(
            LIMIT,
            "AI auto-scheduling (plan a week)",
            {"free": 0, "premium_monthly": None, "premium_yearly": None},
            period="none",
        )
    ]


@hookimpl
def register_ai_actions() -> list[AIAction]:
    return list(ACTIONS)


@hookimpl
async def startup() -> None:
    """Sweep once at start: reminders that fell due while nothing ran go out now."""
    try:
        await enqueue(reminders.SWEEP_TASK)
    except Exception:
        log.exception("could not queue the start-up reminder sweep")


@hookimpl
async def resolve_object(kind: str, object_id: str, user: Principal) -> dict[str, Any] | None:
    """A block (kind ``block``), for its owner only."""
    if kind != "block":
        return None
    try:
        wanted = uuid.UUID(str(object_id))
    except ValueError:
        return None
    block = await Block.aio_get_or_none(
        (Block.id == wanted) & (Block.owner_id == uuid.UUID(user.id))
    )
    if block is None:
        return None
    return views.block_json(BlockRow.of(block), zone(user.timezone))


@hookimpl
async def delete_user_data(user_id: str) -> None:
    owner = uuid.UUID(str(user_id))
    await reminders.delete_everything(owner)
    await service.delete_everything(owner)
    await Feed.delete().where(Feed.owner_id == owner).aio_execute()


@hookimpl
async def export_user_data(user_id: str) -> dict[str, Any]:
    owner = uuid.UUID(str(user_id))
    utc = zone("UTC")
    return {
        "blocks": [views.block_json(row, utc) for row in await service.blocks_of(owner)],
        "reminders": await reminders.reminders_of(owner),
    }
