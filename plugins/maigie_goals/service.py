"""What the goals plugin does: reads, creating a goal, the account and its tier.

Reads are one statement each (the goal's JSON comes finished from the database, see
``sql.py``); writes to an existing goal and its tasks live in ``changes.py``. The
``active_goals`` limit is a slot per active goal (``Goal.active_slot``, unique per
owner): a create or a re-activation takes the lowest free slot in the same statement
that writes the goal, and two requests racing for one slot collide on the unique
index — the loser retries and sees the slot taken. No count-then-insert window exists
on either engine.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, TypeVar

import peewee

from maigie_core import (
    NotFound,
    Principal,
    ValidationFailed,
    emit,
    in_transaction,
    resolve_object,
    transaction,
)
from maigie_core.db import utcnow
from maigie_core.pagination import encode_cursor
from maigie_core.tiers import allowance, check_limit
from maigie_goals.models import LIMIT, Goal, GoalTask
from maigie_goals.pagination import task_cursor
from maigie_goals.schemas import GoalCreate, TaskIn
from maigie_goals.sql import run, statements

T = TypeVar("T")
ATTEMPTS = 4  # a slot race costs one retry per competing request that won


def uid(raw: Any, what: str = "Goal") -> str:
    """A path or payload id as stored (32 hex digits); anything else is a 404."""
    try:
        return uuid.UUID(str(raw)).hex
    except (ValueError, TypeError, AttributeError):
        raise NotFound(f"{what} not found") from None


def rfc3339(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat(timespec="microseconds") + "Z"


async def retrying(operation: Callable[[], Awaitable[T]]) -> T:
    """Run ``operation`` (its own transaction) again when it lost a slot race."""
    for attempt in range(ATTEMPTS):
        try:
            return await operation()
        except peewee.IntegrityError:
            if attempt == ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


# -- reads ------------------------------------------------------------------------------


async def list_page(owner: str, limit: int, status: str | None, after: Any) -> str:
    """One page of the owner's goals, newest first, as the response body (JSON text)."""
    st = statements()
    params: list[Any] = [owner]
    if status is not None:
        params.append(status)
    if after is not None:
        params += after
    params.append(limit + 1)
    rows = await run(st.list_goals[status is not None, after is not None], params, "all")
    cursor = "null"
    if len(rows) > limit:
        rows = rows[:limit]
        last = json.loads(rows[-1][0])
        cursor = f'"{encode_cursor(last["created_at"][:-1], last["id"])}"'
    return '{"items":[' + ",".join([row[0] for row in rows]) + '],"next_cursor":' + cursor + "}"


async def goal_text(owner: str, goal_id: str) -> str | None:
    row = await run(statements().get_goal, (goal_id, owner), "one")
    return None if row is None else str(row[0])


async def get_goal(owner: str, goal_id: str) -> dict[str, Any]:
    text = await goal_text(owner, goal_id)
    if text is None:
        raise NotFound("Goal not found")
    goal: dict[str, Any] = json.loads(text)
    return goal


async def goals_of(owner: str) -> list[dict[str, Any]]:
    rows = await run(statements().goals_of_owner, (owner,), "all")
    return [json.loads(row[0]) for row in rows]


async def count_active(user_id: str) -> int:
    """Active goals that count against the limit (frozen ones are outside it)."""
    return int(
        await Goal.select()
        .where(
            (Goal.owner_id == uuid.UUID(str(user_id)))
            & (Goal.status == "active")
            & (Goal.frozen == False)  # noqa: E712 - peewee expression
        )
        .aio_count()
    )


async def get_task(owner: str, goal_id: str, task_id: str) -> str:
    row = await run(statements().task_of_goal, (task_id, goal_id, owner), "one")
    if row is None:
        raise NotFound("Task not found")
    return str(row[0])


async def tasks_page(owner: str, goal_id: str, limit: int, after: int | None) -> str:
    st = statements()
    params: list[Any] = [] if after is None else [after]
    params += [goal_id, owner, limit + 1]
    rows = await run(st.tasks_page[after is not None], params, "all")
    if not rows:
        raise NotFound("Goal not found")
    rows = [row for row in rows if row[1] is not None]  # the goal without tasks: no task
    cursor = "null"
    if len(rows) > limit:
        rows = rows[:limit]
        cursor = f'"{task_cursor(rows[-1][1])}"'
    return '{"items":[' + ",".join([row[0] for row in rows]) + '],"next_cursor":' + cursor + "}"


# -- creating ---------------------------------------------------------------------------


async def check_course(user: Principal, course_id: uuid.UUID | None) -> str | None:
    """A linked course must be one the caller can see (through its owning plugin)."""
    if course_id is None:
        return None
    if await resolve_object("course", str(course_id), user) is None:
        raise ValidationFailed(
            "Request validation failed",
            detail=[{"loc": ["course_id"], "msg": "no such course", "type": "value_error"}],
        )
    return course_id.hex


def ratio(done: int, total: int) -> int:
    return done * 100 // total if total else 0


def task_dict(task_id: uuid.UUID, data: TaskIn, now_text: str | None) -> dict[str, Any]:
    return {
        "id": str(task_id),
        "title": data.title,
        "due_at": rfc3339(data.due_at),
        "done": data.done,
        "created_at": now_text,
        "updated_at": now_text,
    }


async def limit_reached(user: Principal, cap: int) -> None:
    await check_limit(user, LIMIT, current=cap)  # raises 403 naming the limit
    raise AssertionError("check_limit let an over-limit goal through")


async def create_goal(user: Principal, data: GoalCreate) -> dict[str, Any]:
    """Create a goal (and its tasks); a free user's third active goal is refused."""
    goal, _doc = await create_goal_doc(user, data)
    return goal


async def create_goal_doc(user: Principal, data: GoalCreate) -> tuple[dict[str, Any], str]:
    """As :func:`create_goal`, also returning the goal's JSON text (the response body)."""
    course = await check_course(user, data.course_id)
    owner = uuid.UUID(user.id).hex
    goal_id, now = uuid.uuid4(), utcnow()
    now_text = rfc3339(now)
    task_ids = [uuid.uuid4() for _ in data.tasks]
    progress = ratio(sum(t.done for t in data.tasks), len(data.tasks))
    status = "completed" if progress == 100 else "active"
    cap = allowance(LIMIT, user.tier) if status == "active" else None
    if cap is not None and cap <= 0:
        await limit_reached(user, 0)
    goal = {
        "id": str(goal_id),
        "title": data.title,
        "description": data.description,
        "target_date": data.target_date.isoformat() if data.target_date else None,
        "status": status,
        "progress": progress,
        "course_id": str(data.course_id) if data.course_id else None,
        "frozen": False,
        "tasks": [task_dict(i, t, now_text) for i, t in zip(task_ids, data.tasks, strict=True)],
        "created_at": now_text,
        "updated_at": now_text,
    }
    doc = json.dumps(goal, ensure_ascii=False, separators=(",", ":"))
    values: list[object] = [goal_id.hex, owner, data.title, data.description]
    values += [data.target_date, status, progress, None, course, False]

    one_statement = bool(data.tasks) and statements().dialect.postgres

    async def insert() -> None:
        st = statements()
        if one_statement:  # the goal and its tasks in one statement
            tasks = [
                [task.hex for task in task_ids],
                [task.title for task in data.tasks],
                [task.due_at for task in data.tasks],
                [task.done for task in data.tasks],
            ]
            goal_values = (
                [*values, None, doc, now, now] if cap is None else [*values, doc, now, now, owner]
            )
            if not await run(st.insert_with_tasks(cap), [*goal_values, now, now, *tasks], "all"):
                await limit_reached(user, cap or 0)
            return
        if cap is None:
            await run(st.insert_unlimited, [*values, None, doc, now, now])
        else:
            row = await run(st.insert_with_slot(cap), [*values, doc, now, now, owner], "one")
            if row is None:
                await limit_reached(user, cap)
        if data.tasks:
            rows = [
                {
                    "id": task_id,
                    "goal": goal_id,
                    "title": task.title,
                    "due_at": task.due_at,
                    "done": task.done,
                    "position": position,
                    "created_at": now,
                    "updated_at": now,
                }
                for position, (task_id, task) in enumerate(zip(task_ids, data.tasks, strict=True))
            ]
            await GoalTask.insert_many(rows).aio_execute()

    async def attempt() -> None:
        if (data.tasks and not one_statement) or in_transaction():
            async with transaction():  # a savepoint inside another transaction
                await insert()
        else:
            await insert()  # one statement: its own (autocommitted) transaction

    await retrying(attempt)
    await emit("goal.created", user.id, goal)
    if status == "completed":
        await emit("goal.completed", user.id, goal)
    return goal, doc


async def refresh(goal_id: str) -> dict[str, Any]:
    """Rebuild the goal's stored document after a change (same transaction); return it."""
    row = await run(statements().refresh_doc, (goal_id,), "one")
    goal: dict[str, Any] = json.loads(row[0])
    return goal


# -- the account and its tier -----------------------------------------------------------


async def fit_tier(user_id: str, cap: int | None) -> list[str]:
    """Freeze the active goals beyond ``cap`` (oldest stay usable); unfreeze the rest.

    Returns the ids whose frozen state changed. Slots are handed out again from 1, so
    the unique index keeps holding after any sequence of tier changes.
    """
    owner = uuid.UUID(str(user_id)).hex
    changed: list[str] = []
    async with transaction():
        rows = await (
            Goal.select(Goal.id, Goal.status, Goal.frozen, Goal.active_slot)
            .where(Goal.owner_id == owner)
            .order_by(Goal.created_at, Goal.id)
            .tuples()
            .aio_execute()
        )
        await Goal.update(active_slot=None).where(Goal.owner_id == owner).aio_execute()
        held = 0
        now = utcnow()
        for goal_id, status, frozen, _slot in rows:
            frozen_now, slot = False, None
            if status == "active" and cap is not None:
                if held < cap:
                    held += 1
                    slot = held
                else:
                    frozen_now = True
            values: dict[str, Any] = {"active_slot": slot}
            if frozen_now != bool(frozen):
                values.update(frozen=frozen_now, updated_at=now)
                changed.append(goal_id.hex)
            if slot is not None or frozen_now != bool(frozen):
                await Goal.update(**values).where(Goal.id == goal_id).aio_execute()
        for goal_id in changed:
            await emit("goal.updated", str(user_id), await refresh(goal_id))
    return changed


async def delete_everything(user_id: str) -> None:
    owner = uuid.UUID(str(user_id)).hex
    mine = Goal.select(Goal.id).where(Goal.owner_id == owner)
    await GoalTask.delete().where(GoalTask.goal.in_(mine)).aio_execute()
    await Goal.delete().where(Goal.owner_id == owner).aio_execute()


async def unlink_course(event: Any) -> None:
    """A deleted course is no longer linked from any goal (``course.deleted``)."""
    try:
        course_id = uuid.UUID(str(event.data.get("id"))).hex
    except (ValueError, TypeError):
        return
    async with transaction():
        rows = await (
            Goal.select(Goal.id, Goal.owner_id)
            .where(Goal.course_id == course_id)
            .tuples()
            .aio_execute()
        )
        if not rows:
            return
        await (
            Goal.update(course_id=None, updated_at=utcnow())
            .where(Goal.course_id == course_id)
            .aio_execute()
        )
        for goal_id, owner_id in rows:
            await emit("goal.updated", str(owner_id), await refresh(goal_id.hex))
