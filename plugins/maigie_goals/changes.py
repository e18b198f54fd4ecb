"""Writes to an existing goal and its tasks: update, progress, delete, tasks CRUD.

Every write starts by locking the goal's row (``lock``: a row lock on PostgreSQL, the
write lock on SQLite), so concurrent writes to one goal serialise on both engines; it
then settles progress and status (taking or freeing an ``active_goals`` slot) and
rebuilds the stored document (``refresh``) in the same transaction, and announces the
change after the commit.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, NamedTuple

import peewee

from maigie_core import NotFound, Principal, ValidationFailed, emit, transaction
from maigie_core.db import utcnow
from maigie_core.tiers import allowance, frozen_error
from maigie_goals.models import LIMIT, MAX_TASKS, Goal, GoalTask
from maigie_goals.schemas import GoalPatch, ProgressIn, TaskIn, TaskPatch
from maigie_goals.service import (
    check_course,
    get_task,
    limit_reached,
    ratio,
    refresh,
    retrying,
)
from maigie_goals.sql import run, statements

# -- goals ------------------------------------------------------------------------------


class Locked(NamedTuple):
    """What a write needs to know about the goal it has just locked."""

    status: str
    frozen: bool
    progress_explicit: int | None
    active_slot: int | None


async def lock(owner: str, goal_id: str, now: datetime) -> Locked:
    """Lock the caller's goal for this transaction (touching ``updated_at``); else 404/403."""
    row = await run(statements().lock_goal, (now, goal_id, owner), "one")
    if row is None:
        raise NotFound("Goal not found")
    state = Locked(row[0], bool(row[1]), row[2], row[3])
    if state.frozen:
        raise frozen_error("goal", LIMIT)
    return state


async def _free_slot(user: Principal) -> int | None:
    """A slot for one more active goal (``None`` when unlimited), or the 403."""
    cap = allowance(LIMIT, user.tier)
    if cap is None:
        return None
    if cap > 0:
        row = await run(statements().free_slot_of(cap), (uuid.UUID(user.id).hex,), "one")
        if row is not None and row[0] is not None:
            return int(row[0])
    await limit_reached(user, cap)
    return None


async def _task_ratio(goal_id: str) -> int:
    done = peewee.fn.SUM(peewee.Case(None, [(GoalTask.done == True, 1)], 0))  # noqa: E712
    total, finished = (
        await GoalTask.select(peewee.fn.COUNT(GoalTask.id), done)
        .where(GoalTask.goal == goal_id)
        .tuples()
        .aio_get()
    )
    return ratio(int(finished or 0), int(total or 0))


async def _settle(
    user: Principal,
    goal_id: str,
    state: Locked,
    *,
    explicit: int | None,
    status: str | None = None,
    values: dict[str, Any] | None = None,
) -> bool:
    """Write the goal's new progress (explicit value, else from tasks) and status.

    Progress reaching 100 completes an active goal (unless the caller sets a status);
    leaving ``active`` frees its slot, entering it takes one. True if it just completed.
    """
    values = dict(values or {})
    progress = explicit if explicit is not None else await _task_ratio(goal_id)
    values.update(progress=progress, progress_explicit=explicit)
    target = status or state.status
    if status is None and progress == 100 and state.status == "active":
        target = "completed"
    if target != state.status:
        values["status"] = target
        values["active_slot"] = await _free_slot(user) if target == "active" else None
    await Goal.update(**values).where(Goal.id == goal_id).aio_execute()
    return target == "completed" and state.status != "completed"


async def _announce(user: Principal, goal_id: str, completed: bool) -> dict[str, Any]:
    goal = await refresh(goal_id)
    await emit("goal.updated", user.id, goal)
    if completed:
        await emit("goal.completed", user.id, goal)
    return goal


async def update_goal(user: Principal, goal_id: str, patch: GoalPatch) -> dict[str, Any]:
    changes = patch.model_dump(exclude_unset=True)
    course = await check_course(user, patch.course_id) if "course_id" in changes else None
    owner = uuid.UUID(user.id).hex

    async def attempt() -> dict[str, Any]:
        async with transaction():
            state = await lock(owner, goal_id, utcnow())
            values: dict[str, Any] = {
                k: changes[k] for k in ("title", "description", "target_date") if k in changes
            }
            if "course_id" in changes:
                values["course_id"] = course
            explicit = changes.get("progress", state.progress_explicit)
            completed = await _settle(
                user, goal_id, state, explicit=explicit, status=changes.get("status"), values=values
            )
            return await _announce(user, goal_id, completed)

    return await retrying(attempt)


async def record_progress(user: Principal, goal_id: str, event: ProgressIn) -> dict[str, Any]:
    """A progress event: an explicit value, or a task done; progress is recalculated."""
    owner = uuid.UUID(user.id).hex
    async with transaction():
        now = utcnow()
        state = await lock(owner, goal_id, now)
        explicit = state.progress_explicit
        if event.task_id is not None:
            marked = await (
                GoalTask.update(done=True, updated_at=now)
                .where((GoalTask.id == event.task_id) & (GoalTask.goal == goal_id))
                .aio_execute()
            )
            if not marked:
                raise NotFound("Task not found")
        else:
            explicit = event.progress
        completed = await _settle(user, goal_id, state, explicit=explicit)
        return await _announce(user, goal_id, completed)


async def delete_goal(user: Principal, goal_id: str) -> None:
    """Delete a goal and its tasks (frozen goals too: freezing never traps data)."""
    owner = uuid.UUID(user.id).hex
    async with transaction():
        mine = Goal.select(Goal.id).where((Goal.id == goal_id) & (Goal.owner_id == owner))
        await GoalTask.delete().where(GoalTask.goal.in_(mine)).aio_execute()
        deleted = (
            await Goal.delete().where((Goal.id == goal_id) & (Goal.owner_id == owner)).aio_execute()
        )
        if not deleted:
            raise NotFound("Goal not found")
        await emit("goal.deleted", user.id, {"id": str(uuid.UUID(goal_id))})


# -- tasks ------------------------------------------------------------------------------


async def add_task(user: Principal, goal_id: str, data: TaskIn) -> str:
    owner = uuid.UUID(user.id).hex
    async with transaction():
        now = utcnow()
        state = await lock(owner, goal_id, now)
        count, last = (
            await GoalTask.select(peewee.fn.COUNT(GoalTask.id), peewee.fn.MAX(GoalTask.position))
            .where(GoalTask.goal == goal_id)
            .tuples()
            .aio_get()
        )
        if count >= MAX_TASKS:
            raise ValidationFailed(f"A goal holds at most {MAX_TASKS} tasks")
        task_id = uuid.uuid4()
        await GoalTask.insert(
            id=task_id,
            goal=goal_id,
            title=data.title,
            due_at=data.due_at,
            done=data.done,
            position=(last + 1) if last is not None else 0,
            created_at=now,
            updated_at=now,
        ).aio_execute()
        completed = await _settle(user, goal_id, state, explicit=state.progress_explicit)
        await _announce(user, goal_id, completed)
        return await get_task(owner, goal_id, task_id.hex)


async def update_task(user: Principal, goal_id: str, task_id: str, patch: TaskPatch) -> str:
    owner = uuid.UUID(user.id).hex
    changes = patch.model_dump(exclude_unset=True)
    async with transaction():
        now = utcnow()
        state = await lock(owner, goal_id, now)
        changed = await (
            GoalTask.update(**changes, updated_at=now)
            .where((GoalTask.id == task_id) & (GoalTask.goal == goal_id))
            .aio_execute()
        )
        if not changed:
            raise NotFound("Task not found")
        completed = await _settle(user, goal_id, state, explicit=state.progress_explicit)
        await _announce(user, goal_id, completed)
        return await get_task(owner, goal_id, task_id)


async def delete_task(user: Principal, goal_id: str, task_id: str) -> None:
    owner = uuid.UUID(user.id).hex
    async with transaction():
        state = await lock(owner, goal_id, utcnow())
        deleted = await (
            GoalTask.delete()
            .where((GoalTask.id == task_id) & (GoalTask.goal == goal_id))
            .aio_execute()
        )
        if not deleted:
            raise NotFound("Task not found")
        completed = await _settle(user, goal_id, state, explicit=state.progress_explicit)
        await _announce(user, goal_id, completed)
