"""Every hook the resources plugin implements (the module ``maigie_resources`` exposes)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from quart import Blueprint

from maigie_core import (
    AIAction,
    Event,
    EventSubscriber,
    Migrations,
    Principal,
    TierLimit,
    hookimpl,
)
from maigie_resources import service
from maigie_resources.actions import ACTIONS
from maigie_resources.recommend import DAILY_LIMIT
from maigie_resources.routes import resources_blueprint

FREE_DAILY_RECOMMENDATIONS = 10


@hookimpl
def register_blueprints() -> list[Blueprint]:
    return [resources_blueprint]


@hookimpl
def register_migrations() -> Migrations:
    return Migrations(owner="resources", package="maigie_resources.migrations")


@hookimpl
def register_tier_limits() -> list[TierLimit]:
    return [
        TierLimit(
            DAILY_LIMIT,
            "Resource recommendations",
            {"free": FREE_DAILY_RECOMMENDATIONS, "premium_monthly": None, "premium_yearly": None},
            period="day",
        )
    ]


@hookimpl
def register_ai_actions() -> list[AIAction]:
    return list(ACTIONS)


async def _course_deleted(event: Event) -> None:
    await service.clear_course(event.data.get("id"))


@hookimpl
def register_event_subscribers() -> list[EventSubscriber]:
    return [EventSubscriber("course.deleted", _course_deleted, name="resources.unlink_course")]


@hookimpl
async def resolve_object(kind: str, object_id: str, user: Principal) -> Mapping[str, Any] | None:
    if kind != "resource":
        return None
    resource = await service.find_visible(user, object_id)
    return None if resource is None else service.resource_json(resource)


@hookimpl
async def delete_user_data(user_id: str) -> None:
    await service.delete_owned_by(user_id)


@hookimpl
async def export_user_data(user_id: str) -> Mapping[str, Any]:
    return {"resources": await service.export_owned_by(user_id)}
