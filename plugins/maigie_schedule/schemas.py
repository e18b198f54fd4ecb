"""Request and response shapes of the schedule API (pydantic; unknown fields refused)."""

from __future__ import annotations

import uuid
from datetime import date as Date
from datetime import datetime
from typing import Annotated, Literal, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from maigie_core.instants import BoundedAwareDatetime, BoundedDate
from maigie_core.openapi import NOT_BLANK, non_nullable
from maigie_core.pagination import PageQuery


def _printable(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


Title = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
    Field(json_schema_extra={"pattern": NOT_BLANK}),
    AfterValidator(_printable),
]
Notes = Annotated[str, StringConstraints(max_length=5000), AfterValidator(_printable)]
Message = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=500),
    Field(json_schema_extra={"pattern": NOT_BLANK}),
    AfterValidator(_printable),
]
RRule = Annotated[str, StringConstraints(min_length=1, max_length=500)]
ZoneName = Annotated[str, StringConstraints(min_length=1, max_length=64)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class BlockIn(_In):
    """A time block; with ``rrule`` a series whose first occurrence is ``start_at``."""

    title: Title
    start_at: BoundedAwareDatetime = Field(description="ISO 8601 with an offset")
    end_at: BoundedAwareDatetime = Field(description="ISO 8601 with an offset, after start_at")
    rrule: RRule | None = Field(None, description="RFC 5545 RRULE value, e.g. FREQ=WEEKLY;COUNT=3")
    timezone: ZoneName | None = Field(
        None, description="IANA zone the recurrence keeps its wall-clock time in (default: yours)"
    )
    notes: Notes = ""
    course_id: uuid.UUID | None = None
    goal_id: uuid.UUID | None = None
    allow_overlap: bool = Field(False, description="create even if it overlaps other blocks")


class BlockPatch(_In):
    """Fields to change on a whole series (or, with ``?occurrence=``, one occurrence).

    ``start_at`` alone moves the block and keeps its length; ``rrule: null`` ends the
    recurrence (only the first occurrence stays).
    """

    model_config = ConfigDict(
        json_schema_extra=non_nullable("title", "start_at", "end_at", "timezone", "notes")
    )

    title: Title | None = None
    start_at: BoundedAwareDatetime | None = None
    end_at: BoundedAwareDatetime | None = None
    rrule: RRule | None = None
    timezone: ZoneName | None = None
    notes: Notes | None = None
    course_id: uuid.UUID | None = None
    goal_id: uuid.UUID | None = None
    allow_overlap: bool = False

    @model_validator(mode="after")
    def _no_null_required(self) -> Self:
        for name in ("title", "start_at", "end_at", "timezone", "notes"):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null")
        return self


class BlockOut(BaseModel):
    id: uuid.UUID
    title: str
    notes: str
    start_at: datetime
    end_at: datetime
    timezone: str
    rrule: str | None
    exdates: list[datetime] = Field(description="skipped occurrences (their original starts)")
    course_id: uuid.UUID | None
    goal_id: uuid.UUID | None
    created_at: datetime
    updated_at: datetime


class OccurrenceOut(BaseModel):
    """One occurrence of a block in a window: the block's ``id``, its own times."""

    id: uuid.UUID
    title: str
    notes: str
    start_at: datetime
    end_at: datetime
    timezone: str
    rrule: str | None
    recurring: bool
    course_id: uuid.UUID | None
    goal_id: uuid.UUID | None
    created_at: datetime
    updated_at: datetime


class OccurrencePage(BaseModel):
    items: list[OccurrenceOut]
    next_cursor: str | None


class WindowQuery(PageQuery):
    date: Date | None = Field(None, description="a day in your time zone (YYYY-MM-DD)")
    start: str | None = Field(None, description="ISO 8601; without an offset, your zone")
    end: str | None = Field(None, description="ISO 8601; at most a year after start")


class OccurrenceQuery(BaseModel):
    occurrence: str | None = Field(
        None, description="start of one occurrence (ISO 8601): act on it alone"
    )


class ReminderIn(_In):
    """Either ``remind_at``, or ``block_id`` + ``minutes_before`` (its next occurrence)."""

    # The rule of ``_one_way``, stated in the schema (``null`` is the same as absent).
    model_config = ConfigDict(
        json_schema_extra={
            "oneOf": [
                {
                    "required": ["remind_at"],
                    "properties": {
                        "remind_at": {"not": {"type": "null"}},
                        "block_id": {"type": "null"},
                        "minutes_before": {"type": "null"},
                    },
                },
                {
                    "required": ["block_id"],
                    "properties": {
                        "block_id": {"not": {"type": "null"}},
                        "remind_at": {"type": "null"},
                    },
                },
            ]
        }
    )

    message: Message
    remind_at: BoundedAwareDatetime | None = None
    block_id: uuid.UUID | None = None
    minutes_before: int | None = Field(None, ge=0, le=10080)

    @model_validator(mode="after")
    def _one_way(self) -> Self:
        if self.remind_at is not None and self.block_id is not None:
            raise ValueError("give remind_at or block_id, not both")
        if self.remind_at is None and self.block_id is None:
            raise ValueError("give remind_at, or block_id with minutes_before")
        if self.block_id is None and self.minutes_before is not None:
            raise ValueError("minutes_before goes with block_id")
        return self


class ReminderOut(BaseModel):
    id: uuid.UUID
    message: str
    remind_at: datetime
    delivered_at: datetime | None
    block_id: uuid.UUID | None
    minutes_before: int | None
    created_at: datetime
    updated_at: datetime


class ReminderPage(BaseModel):
    items: list[ReminderOut]
    next_cursor: str | None


class ReminderQuery(PageQuery):
    status: Literal["pending", "delivered"] | None = None


class FeedOut(BaseModel):
    url: str = Field(description="iCalendar feed; rotate it to revoke the old URL")
    version: int


class PlanWeekIn(_In):
    """Spread a goal's open tasks over the free slots of a week (Premium)."""

    goal_id: uuid.UUID
    week_start: BoundedDate | None = Field(None, description="first day (default: today)")
    session_minutes: int = Field(60, ge=15, le=480)
    day_start: str = Field("09:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    day_end: str = Field("18:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$")
    weekends: bool = True


class PlanWeekOut(BaseModel):
    created: list[BlockOut]
    unplaced: list[str] = Field(description="titles of tasks no free slot was found for")
