"""What the assistant may do with the schedule (``register_ai_actions``).

Times a model produces are loose ("tomorrow at 3pm"): a payload gives either an ISO
``start_at`` or a ``day`` (``today``, ``tomorrow``, a weekday name — the next one
whose moment is still ahead: today's until its time has passed, else a week on — or
YYYY-MM-DD) and a ``time`` (``15:00``, ``3pm``, ``3:30 pm``), read in the user's time
zone.
"""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime, time, timedelta
from typing import Any, Self
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, model_validator

from maigie_core import AIAction, Principal, ValidationFailed
from maigie_core.instants import BoundedAwareDatetime, date_within_range
from maigie_schedule import planning, reminders, service, views
from maigie_schedule.recurrence import zone
from maigie_schedule.schemas import BlockIn, Message, Notes, PlanWeekIn, ReminderIn, RRule, Title
from maigie_schedule.windows import MAX_WINDOW, local_midnight, parse_instant

_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_TIME = re.compile(r"^\s*(\d{1,2})(?::(\d{2}))?\s*(am|pm)?\s*$", re.IGNORECASE)


def _payload_error(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(
        "Action payload invalid",
        detail=[{"loc": ["payload", field], "msg": message, "type": "value_error"}],
    )


def resolve_day(text: str, tz: ZoneInfo) -> date:
    today = datetime.now(tz).date()
    word = text.strip().lower()
    if word == "today":
        return today
    if word == "tomorrow":
        return today + timedelta(days=1)
    if word in _WEEKDAYS:
        return today + timedelta(days=(_WEEKDAYS.index(word) - today.weekday()) % 7)
    try:
        return date_within_range(date.fromisoformat(word))
    except ValueError:
        raise _payload_error(
            "day", "day must be today, tomorrow, a weekday or YYYY-MM-DD"
        ) from None


def resolve_time(text: str) -> time:
    match = _TIME.match(text)
    if match is None:
        raise _payload_error("time", "time must look like 15:00, 3pm or 3:30 pm")
    hour, minute, half = int(match[1]), int(match[2] or 0), (match[3] or "").lower()
    if half:
        if not 1 <= hour <= 12:
            raise _payload_error("time", "hour must be 1-12 with am/pm")
        hour = hour % 12 + (12 if half == "pm" else 0)
    if hour > 23 or minute > 59:
        raise _payload_error("time", "not a time of day")
    return time(hour, minute)


def when(start_at: datetime | None, day: str | None, at: str | None, tz: ZoneInfo) -> datetime:
    """The moment a payload names, aware."""
    if start_at is not None:
        return start_at
    local_day = resolve_day(day or "today", tz)
    moment = datetime.combine(local_day, resolve_time(at or "09:00"), tzinfo=tz)
    if (day or "").strip().lower() in _WEEKDAYS and moment <= datetime.now(tz):
        moment += timedelta(days=7)  # "on Friday" said on a Friday after the time: next one
    return moment


class _Payload(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CreateBlockPayload(_Payload):
    """A study block, e.g. "2 hours of reading tomorrow at 3pm"."""

    title: Title
    start_at: BoundedAwareDatetime | None = Field(None, description="ISO 8601 with offset")
    day: str | None = Field(None, description="today, tomorrow, a weekday or YYYY-MM-DD")
    time: str | None = Field(None, description="15:00 or 3pm, in the user's time zone")
    duration_minutes: int = Field(60, ge=5, le=24 * 60)
    rrule: RRule | None = Field(None, description="RFC 5545 RRULE, e.g. FREQ=WEEKLY;COUNT=6")
    notes: Notes = ""
    course_id: uuid.UUID | None = None
    goal_id: uuid.UUID | None = None
    allow_overlap: bool = False

    @model_validator(mode="after")
    def _one_time(self) -> Self:
        if self.start_at is not None and (self.day or self.time):
            raise ValueError("give start_at, or day and time, not both")
        if self.start_at is None and not self.time:
            raise ValueError("give start_at, or a time (and a day)")
        return self


class CreateReminderPayload(_Payload):
    """A reminder at a time, or ``minutes_before`` a block's next occurrence."""

    message: Message
    remind_at: BoundedAwareDatetime | None = None
    day: str | None = Field(None, description="today, tomorrow, a weekday or YYYY-MM-DD")
    time: str | None = Field(None, description="default 09:00, the user's time zone")
    block_id: uuid.UUID | None = None
    minutes_before: int | None = Field(None, ge=0, le=10080)


class ListSchedulePayload(_Payload):
    """The occurrences of a day (default today) or of a window of at most a year."""

    date: str | None = Field(None, description="YYYY-MM-DD, today or tomorrow")
    start: str | None = None
    end: str | None = None
    limit: int = Field(100, ge=1, le=100)


async def create_block(user: Principal, payload: CreateBlockPayload) -> dict[str, Any]:
    tz = zone(user.timezone)
    start = when(payload.start_at, payload.day, payload.time, tz)
    data = BlockIn(
        title=payload.title,
        start_at=start,
        end_at=start + timedelta(minutes=payload.duration_minutes),
        rrule=payload.rrule,
        notes=payload.notes,
        course_id=payload.course_id,
        goal_id=payload.goal_id,
        allow_overlap=payload.allow_overlap,
    )
    return await service.create_block(user, data)


async def create_reminder(user: Principal, payload: CreateReminderPayload) -> dict[str, Any]:
    tz = zone(user.timezone)
    remind_at = payload.remind_at
    if payload.block_id is None and remind_at is None:
        remind_at = when(None, payload.day, payload.time, tz)
    data = ReminderIn(
        message=payload.message,
        remind_at=remind_at,
        block_id=payload.block_id,
        minutes_before=payload.minutes_before,
    )
    return await reminders.create_reminder(user, data)


async def list_schedule(user: Principal, payload: ListSchedulePayload) -> dict[str, Any]:
    tz = zone(user.timezone)
    if payload.start or payload.end:
        if not (payload.start and payload.end):
            raise _payload_error("end", "start and end go together")
        lo = parse_instant(payload.start, tz, "start")
        hi = parse_instant(payload.end, tz, "end")
        if hi <= lo or hi - lo > MAX_WINDOW:
            raise _payload_error("end", "end must be after start, at most a year later")
    else:
        day = resolve_day(payload.date or "today", tz)
        lo, hi = local_midnight(day, tz), local_midnight(day + timedelta(days=1), tz)
    items, more = await views.list_window(user, lo, hi, payload.limit, None)
    return {
        "start": lo.astimezone(tz).isoformat(),
        "end": hi.astimezone(tz).isoformat(),
        "items": items,
        "truncated": more is not None,
    }


async def plan_week(user: Principal, payload: PlanWeekIn) -> dict[str, Any]:
    return await planning.plan_week(user, payload)


ACTIONS = (
    AIAction(
        "create_block",
        "Put a study block in the user's schedule (optionally recurring). Refused with a "
        "conflict if it overlaps another block unless allow_overlap is true.",
        CreateBlockPayload,
        create_block,
    ),
    AIAction(
        "create_reminder",
        "Remind the user of something at a time, or some minutes before a block.",
        CreateReminderPayload,
        create_reminder,
    ),
    AIAction(
        "list_schedule",
        "List the user's schedule for a day (default today) or a window.",
        ListSchedulePayload,
        list_schedule,
    ),
    AIAction(
        "plan_week",
        "Premium: spread a goal's open tasks over the free slots of the coming week.",
        PlanWeekIn,
        plan_week,
    ),
)
