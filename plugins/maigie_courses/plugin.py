"""The hook implementations of the courses plugin (the whole of its contract with the core)."""

from __future__ import annotations

import uuid
from typing import Any

from quart import Blueprint

from maigie_core import AIAction, Migrations, NotFound, Principal, TierLimit, hookimpl
from maigie_courses import accounts, queries, service
from maigie_courses.routes import courses_blueprint
from maigie_courses.schemas import CreateCoursePayload, ListCoursesPayload

CHANNEL_PREFIX = "course:"


@hookimpl
def register_blueprints() -> list[Blueprint]:
    return [courses_blueprint]


@hookimpl
def register_migrations() -> Migrations:
    return Migrations(owner="courses", package="maigie_courses.migrations")


@hookimpl
def register_tier_limits() -> list[TierLimit]:
    return [
        TierLimit(
            service.AI_COURSES,
            "AI-generated courses held",
            {"free": 2, "premium_monthly": None, "premium_yearly": None},
            period="none",
            count=service.count_ai_courses,
        )
    ]


async def _create_course_action(user: Principal, payload: CreateCoursePayload) -> dict[str, Any]:
    return await service.create_course(user, payload, ai_generated=True)


async def _list_courses_action(user: Principal, payload: ListCoursesPayload) -> dict[str, Any]:
    page = await queries.page(
        uuid.UUID(str(user.id)), limit=payload.limit, scope=payload.scope, q=payload.q
    )
    return {"items": page["items"]}


@hookimpl
def register_ai_actions() -> list[AIAction]:
    return [
        AIAction(
            "create_course",
            "Create a study course for the user: a title, a description, ordered modules "
            "each with ordered topics (optionally minutes per topic), and optionally its "
            "length in weeks. Counts towards the free tier's AI-generated course limit.",
            CreateCoursePayload,
            _create_course_action,
        ),
        AIAction(
            "list_courses",
            "List the user's courses (owned and enrolled) with modules, topics and progress.",
            ListCoursesPayload,
            _list_courses_action,
        ),
    ]


@hookimpl
async def resolve_object(kind: str, object_id: str, user: Principal) -> dict[str, Any] | None:
    """A course as ``user`` sees it, if they own it or are enrolled; None otherwise."""
    if kind != "course":
        return None
    try:
        course_id = queries.parse_id(object_id)
    except NotFound:
        return None
    row = await queries.membership(course_id, uuid.UUID(str(user.id)))
    if row is None:
        return None
    return (await queries.render([row], uuid.UUID(str(user.id))))[0]


@hookimpl
async def authorize_channel(channel: str, user: Principal) -> bool | None:
    """``course:{id}`` is open to the course's members only."""
    if not channel.startswith(CHANNEL_PREFIX):
        return None
    try:
        course_id = queries.parse_id(channel[len(CHANNEL_PREFIX) :])
    except NotFound:
        return False
    return await queries.membership(course_id, uuid.UUID(str(user.id))) is not None


@hookimpl
async def apply_tier_limits(user_id: str, tier: str) -> None:
    await service.apply_tier(user_id, tier)


@hookimpl
async def delete_user_data(user_id: str) -> None:
    await accounts.delete_user_data(user_id)


@hookimpl
async def export_user_data(user_id: str) -> dict[str, Any]:
    return await accounts.export_user_data(user_id)
