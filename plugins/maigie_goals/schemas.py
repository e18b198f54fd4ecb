"""Request and response shapes of the goals API (pydantic; unknown fields are refused)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from maigie_core.instants import BoundedDatetime
from maigie_core.openapi import NOT_BLANK, exactly_one_of, non_nullable
from maigie_core.pagination import PageQuery
from maigie_goals.models import MAX_TASKS


def _printable(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


def _calendar_date(value: Any) -> Any:
    """Only ``YYYY-MM-DD`` (pydantic would also take timestamps and datetimes)."""
    if isinstance(value, str):
        if len(value) != 10:
            raise ValueError("must be a date as YYYY-MM-DD")
        return date.fromisoformat(value)
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    raise ValueError("must be a date as YYYY-MM-DD")


def _naive_utc(value: datetime) -> datetime:
    """Stored as naive UTC; a time without an offset is taken as UTC."""
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value


Title = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
    Field(json_schema_extra={"pattern": NOT_BLANK}),
    AfterValidator(_printable),
]
Description = Annotated[str, StringConstraints(max_length=5000), AfterValidator(_printable)]
CalendarDate = Annotated[date, BeforeValidator(_calendar_date)]
Instant = Annotated[BoundedDatetime, AfterValidator(_naive_utc)]
Progress = Annotated[int, Field(ge=0, le=100)]
Status = Literal["active", "completed", "archived"]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")

    def _refuse_null(self, *names: str) -> None:
        for name in names:
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null")


class TaskIn(_In):
    """A task (milestone) of a goal."""

    title: Title
    due_at: Instant | None = Field(None, description="RFC 3339; without an offset, UTC")
    done: bool = False


class TaskPatch(_In):
    """Fields to change on a task; absent fields stay as they are."""

    model_config = ConfigDict(json_schema_extra=non_nullable("title", "done"))

    title: Title | None = None
    due_at: Instant | None = None
    done: bool | None = None

    @model_validator(mode="after")
    def _no_nulls(self) -> Self:
        self._refuse_null("title", "done")
        return self


class GoalCreate(_In):
    """A new goal, active, with optional tasks."""

    title: Title
    description: Description | None = None
    target_date: CalendarDate | None = Field(None, description="YYYY-MM-DD")
    course_id: uuid.UUID | None = Field(None, description="A course the caller can see")
    tasks: list[TaskIn] = Field(default_factory=list, max_length=MAX_TASKS)


class GoalPatch(_In):
    """Fields to change (merge); ``null`` clears target_date, course_id, description.

    ``progress`` records an explicit value (as ``POST /{id}/progress`` does); ``null``
    drops it, so progress follows the tasks again.
    """

    model_config = ConfigDict(json_schema_extra=non_nullable("title", "status"))

    title: Title | None = None
    description: Description | None = None
    target_date: CalendarDate | None = None
    course_id: uuid.UUID | None = None
    status: Status | None = None
    progress: Progress | None = None

    @model_validator(mode="after")
    def _no_nulls(self) -> Self:
        self._refuse_null("title", "status")
        return self


class ProgressIn(_In):
    """Exactly one of: an explicit ``progress`` (0-100), or a ``task_id`` now done."""

    model_config = ConfigDict(json_schema_extra=exactly_one_of("progress", "task_id"))
    progress: Progress | None = None
    task_id: uuid.UUID | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Self:
        if (self.progress is None) == (self.task_id is None):
            raise ValueError("give exactly one of progress or task_id")
        return self


class ListQuery(PageQuery):
    """Query string of ``GET /goals`` (documentation; parsed by ``pagination``)."""

    status: Status | None = None


class TaskOut(BaseModel):
    id: uuid.UUID
    title: str
    due_at: datetime | None
    done: bool
    created_at: datetime
    updated_at: datetime


class GoalOut(BaseModel):
    id: uuid.UUID
    title: str
    description: str | None
    target_date: date | None
    status: Status
    progress: Progress
    course_id: uuid.UUID | None
    frozen: bool
    tasks: list[TaskOut]
    created_at: datetime
    updated_at: datetime


class GoalPage(BaseModel):
    items: list[GoalOut]
    next_cursor: str | None


class TaskPage(BaseModel):
    items: list[TaskOut]
    next_cursor: str | None
