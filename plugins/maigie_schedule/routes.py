"""``/api/v1/schedule`` (blocks, the window listing, the feed) and ``/api/v1/reminders``.

Bodies are validated by the core's ``json_body`` (strict JSON) and documented for OpenAPI
with ``document_request``/``document_response``; query strings are parsed by hand
(``windows``) and documented with ``document_querystring``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import wraps
from typing import Any, TypeVar

from quart import Blueprint, Response, request
from quart_schema import (
    document_querystring,
    document_request,
    document_response,
    security_scheme,
)

from maigie_core.auth import current_user, require_user
from maigie_core.bodies import json_body
from maigie_core.db import database
from maigie_schedule import ical, planning, reminders, service, views
from maigie_schedule.recurrence import zone
from maigie_schedule.schemas import (
    BlockIn,
    BlockOut,
    BlockPatch,
    FeedOut,
    OccurrencePage,
    OccurrenceQuery,
    PlanWeekIn,
    PlanWeekOut,
    ReminderIn,
    ReminderOut,
    ReminderPage,
    ReminderQuery,
    WindowQuery,
)
from maigie_schedule.windows import invalid, parse_cursor, parse_limit, parse_window

R = TypeVar("R")

schedule_blueprint = Blueprint("schedule", __name__, url_prefix="/api/v1/schedule")
reminders_blueprint = Blueprint("reminders", __name__, url_prefix="/api/v1/reminders")

_NO_CONTENT = ("", 204)


def one_connection(func: Callable[..., Awaitable[R]]) -> Callable[..., Awaitable[R]]:
    """The whole request (authentication included) on one pooled connection."""

    @wraps(func)
    async def wrapped(*args: Any, **kwargs: Any) -> R:
        async with database.aio_connection():
            return await func(*args, **kwargs)

    return wrapped


# -- blocks ---------------------------------------------------------------------------


@schedule_blueprint.get("")
@one_connection
@require_user
@document_querystring(WindowQuery)
@document_response(OccurrencePage)
async def list_schedule() -> Response:
    """One item per occurrence in ``?date=`` (a day in your zone) or ``?start=&end=``
    (≤ a year; default: today), recurrences expanded, sorted by start."""
    user = current_user()
    lo, hi = parse_window(request.args, zone(user.timezone))
    limit = parse_limit(request.args)
    after = parse_cursor(request.args)
    text = await views.list_window_text(user, lo, hi, limit, after)
    return Response(text, content_type="application/json")


@schedule_blueprint.post("")
@one_connection
@require_user
@document_request(BlockIn)
@document_response(BlockOut, 201)
async def create_block() -> tuple[dict[str, Any], int]:
    """Create a block or a series; 409 listing the conflicts unless ``allow_overlap``."""
    data = await json_body(BlockIn)
    return await service.create_block(current_user(), data), 201


@schedule_blueprint.get("/<block_id>")
@one_connection
@require_user
@document_response(BlockOut)
async def get_block(block_id: str) -> dict[str, Any]:
    return await service.get_block(current_user(), block_id)


@schedule_blueprint.patch("/<block_id>")
@one_connection
@require_user
@document_querystring(OccurrenceQuery)
@document_request(BlockPatch)
@document_response(BlockOut)
async def patch_block(block_id: str) -> dict[str, Any]:
    """Change the whole series; with ``?occurrence=`` only that occurrence, which then
    becomes a one-off block of its own (the response)."""
    patch = await json_body(BlockPatch)
    occurrence = request.args.get("occurrence")
    if occurrence:
        return await service.detach_occurrence(current_user(), block_id, occurrence, patch)
    return await service.update_block(current_user(), block_id, patch)


@schedule_blueprint.delete("/<block_id>")
@one_connection
@require_user
@document_querystring(OccurrenceQuery)
async def delete_block(block_id: str) -> tuple[str, int]:
    """Delete the whole series; with ``?occurrence=`` skip only that occurrence."""
    occurrence = request.args.get("occurrence")
    if occurrence:
        await service.skip_occurrence(current_user(), block_id, occurrence)
    else:
        await service.delete_block(current_user(), block_id)
    return _NO_CONTENT


@schedule_blueprint.post("/plan-week")
@one_connection
@require_user
@document_request(PlanWeekIn)
@document_response(PlanWeekOut)
async def plan_week() -> dict[str, Any]:
    """Premium: spread a goal's open tasks over the week's free slots."""
    data = await json_body(PlanWeekIn)
    return await planning.plan_week(current_user(), data)


# -- the calendar feed ----------------------------------------------------------------


@schedule_blueprint.get("/feed")
@one_connection
@require_user
@document_response(FeedOut)
async def get_feed() -> dict[str, Any]:
    """Your calendar feed's URL (iCalendar, for calendar apps)."""
    return await ical.current_feed(current_user())


@schedule_blueprint.post("/feed/rotate")
@one_connection
@require_user
@document_response(FeedOut)
async def rotate_feed() -> dict[str, Any]:
    """A new feed URL; the old one stops working at once."""
    return await ical.rotate_feed(current_user())


@schedule_blueprint.get("/feed/<token>.ics")
@security_scheme([])
@one_connection
async def feed_document(token: str) -> Response:
    """The iCalendar document (public: the signed token in the URL is the credential)."""
    owner = await ical.owner_of_token(token)
    body = ical.calendar(await service.blocks_of(owner))
    return Response(
        body,
        content_type="text/calendar; charset=utf-8",
        headers={"Cache-Control": "private, max-age=300"},
    )


# -- reminders ------------------------------------------------------------------------


@reminders_blueprint.get("")
@one_connection
@require_user
@document_querystring(ReminderQuery)
@document_response(ReminderPage)
async def list_reminders() -> dict[str, Any]:
    """Your reminders by time; ``?status=pending|delivered``."""
    status = request.args.get("status")
    if status is not None and status not in ("pending", "delivered"):
        raise invalid("status", "status must be pending or delivered")
    limit = parse_limit(request.args)
    after = parse_cursor(request.args)
    return await reminders.list_page(current_user(), status, limit, after)


@reminders_blueprint.post("")
@one_connection
@require_user
@document_request(ReminderIn)
@document_response(ReminderOut, 201)
async def create_reminder() -> tuple[dict[str, Any], int]:
    """A reminder at ``remind_at``, or ``minutes_before`` (default 10) the next
    occurrence of ``block_id``; delivered as a notification and a ``reminder.due`` event."""
    data = await json_body(ReminderIn)
    return await reminders.create_reminder(current_user(), data), 201


@reminders_blueprint.get("/<reminder_id>")
@one_connection
@require_user
@document_response(ReminderOut)
async def get_reminder(reminder_id: str) -> dict[str, Any]:
    return await reminders.get_reminder(current_user(), reminder_id)


@reminders_blueprint.delete("/<reminder_id>")
@one_connection
@require_user
async def delete_reminder(reminder_id: str) -> tuple[str, int]:
    await reminders.delete_reminder(current_user(), reminder_id)
    return _NO_CONTENT
