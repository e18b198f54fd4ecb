"""What the assistant may do with goals (``register_ai_actions``)."""

from __future__ import annotations

import json
import uuid
from datetime import date, datetime, timedelta
from typing import Any, Literal, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, model_validator

from maigie_core import AIAction, Principal
from maigie_goals import changes, service
from maigie_goals.models import MAX_TASKS
from maigie_goals.schemas import (
    CalendarDate,
    Description,
    GoalCreate,
    Progress,
    ProgressIn,
    TaskIn,
    Title,
)


class CreateGoalPayload(BaseModel):
    """A goal with a deadline: a date, or a number of weeks from today."""

    model_config = ConfigDict(extra="forbid")

    title: Title
    description: Description | None = None
    target_date: CalendarDate | None = Field(None, description="YYYY-MM-DD")
    duration_weeks: int | None = Field(
        None, ge=1, le=520, description="Due this many weeks from today"
    )
    tasks: list[TaskIn | Title] = Field(
        default_factory=list, max_length=MAX_TASKS, description="Milestones: titles or objects"
    )
    course_id: uuid.UUID | None = None

    @model_validator(mode="after")
    def _one_deadline(self) -> Self:
        if self.target_date is not None and self.duration_weeks is not None:
            raise ValueError("give target_date or duration_weeks, not both")
        return self


class ListGoalsPayload(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: Literal["active", "completed", "archived"] | None = None
    limit: int = Field(20, ge=1, le=100)


class RecordProgressPayload(BaseModel):
    """Exactly one of ``progress`` (0-100) or ``task_id`` (that task is done)."""

    model_config = ConfigDict(extra="forbid")

    goal_id: uuid.UUID
    progress: Progress | None = None
    task_id: uuid.UUID | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Self:
        if (self.progress is None) == (self.task_id is None):
            raise ValueError("give exactly one of progress or task_id")
        return self


def _today(user: Principal) -> date:
    try:
        zone = ZoneInfo(user.timezone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    return datetime.now(zone).date()


async def create_goal(user: Principal, payload: CreateGoalPayload) -> dict[str, Any]:
    target = payload.target_date
    if payload.duration_weeks is not None:
        target = _today(user) + timedelta(weeks=payload.duration_weeks)
    tasks = [TaskIn(title=t) if isinstance(t, str) else t for t in payload.tasks]
    data = GoalCreate(
        title=payload.title,
        description=payload.description,
        target_date=target,
        course_id=payload.course_id,
        tasks=tasks,
    )
    return await service.create_goal(user, data)


async def list_goals(user: Principal, payload: ListGoalsPayload) -> dict[str, Any]:
    owner = uuid.UUID(user.id).hex
    page: dict[str, Any] = json.loads(
        await service.list_page(owner, payload.limit, payload.status, None)
    )
    return page


async def record_progress(user: Principal, payload: RecordProgressPayload) -> dict[str, Any]:
    event = ProgressIn(progress=payload.progress, task_id=payload.task_id)
    return await changes.record_progress(user, payload.goal_id.hex, event)


ACTIONS = [
    AIAction(
        name="create_goal",
        description=(
            "Create a study goal for the user with a deadline (a date, or a number of weeks "
            "from today) and optional milestone tasks. Free users may hold 2 active goals."
        ),
        payload=CreateGoalPayload,
        handler=create_goal,
    ),
    AIAction(
        name="list_goals",
        description="List the user's goals (newest first), optionally by status, with progress.",
        payload=ListGoalsPayload,
        handler=list_goals,
    ),
    AIAction(
        name="record_progress",
        description=(
            "Record progress on one of the user's goals: an explicit percentage, or a task "
            "that is now done. Progress 100 completes the goal."
        ),
        payload=RecordProgressPayload,
        handler=record_progress,
    ),
]
