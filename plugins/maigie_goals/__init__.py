"""The goals plugin: goals with tasks, progress events and the active-goals limit.

Installed as the ``goals`` entry point of ``maigie.plugins``; it imports nothing of any
other plugin (a linked course is read through ``resolve_object``). This module holds
every hook implementation; the rest lives in ``routes``, ``service`` (reads, create,
account), ``changes`` (writes to existing goals and tasks) and ``sql``.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from quart import Blueprint

from maigie_core import AIAction, EventSubscriber, Migrations, Principal, TierLimit, hookimpl
from maigie_core.tiers import allowance
from maigie_goals import service
from maigie_goals.actions import ACTIONS
from maigie_goals.models import LIMIT
from maigie_goals.routes import goals_blueprint

__version__ = "1.0.0"


@hookimpl
def register_blueprints() -> list[Blueprint]:
    return [goals_blueprint]


@hookimpl
def register_migrations() -> Migrations:
    return Migrations(owner="goals", package="maigie_goals.migrations")


@hookimpl
def register_tier_limits() -> list[TierLimit]:
    return [
        TierLimit(
            LIMIT,
            "Active goals",
            {"free": 2, "premium_monthly": None, "premium_yearly": None},
            period="none",
            count=service.count_active,
        )
    ]


@hookimpl
def register_ai_actions() -> list[AIAction]:
    return list(ACTIONS)


@hookimpl
def register_event_subscribers() -> list[EventSubscriber]:
    return [EventSubscriber("course.deleted", service.unlink_course, name="goals.unlink_course")]


@hookimpl
async def resolve_object(kind: str, object_id: str, user: Principal) -> dict[str, Any] | None:
    """A goal, for its owner only."""
    if kind != "goal":
        return None
    try:
        goal_id = uuid.UUID(str(object_id)).hex
    except ValueError:
        return None
    text = await service.goal_text(uuid.UUID(user.id).hex, goal_id)
    return None if text is None else dict(json.loads(text))


@hookimpl
async def delete_user_data(user_id: str) -> None:
    await service.delete_everything(user_id)


@hookimpl
async def export_user_data(user_id: str) -> dict[str, Any]:
    return {"goals": await service.goals_of(uuid.UUID(str(user_id)).hex)}


@hookimpl
async def apply_tier_limits(user_id: str, tier: Any) -> None:
    """Freeze active goals beyond the new tier's allowance; unfreeze what fits again."""
    await service.fit_tier(user_id, allowance(LIMIT, tier))
