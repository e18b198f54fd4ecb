"""Auto-scheduling (Premium): spread a goal's open tasks over the free slots of a week.

The goal is read through ``resolve_object("goal", …)`` — the goals plugin is never
imported. Each open task gets one session of ``session_minutes``: task *i* of *n* is
aimed at day ⌊i·d/n⌋ of the *d* usable days (so they spread out), takes that day's
earliest free slot between ``day_start`` and ``day_end`` on a half-hour grid (in the
user's zone, never in the past, never overlapping a block), and moves on to the next
days when that one is full. Tasks with no slot left are reported, not forced in.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from maigie_core import NotFound, Principal
from maigie_core import resolve_object as resolve
from maigie_core.tiers import check_limit
from maigie_schedule import service, views
from maigie_schedule.recurrence import zone
from maigie_schedule.schemas import BlockIn, PlanWeekIn

LIMIT = "ai_auto_scheduling"
GRID = timedelta(minutes=30)


def _clock(text: str) -> time:
    hours, minutes = (int(part) for part in text.split(":"))
    return time(23, 59, 59) if hours == 24 else time(hours, minutes)


def _free(start: datetime, end: datetime, busy: list[tuple[datetime, datetime]]) -> bool:
    return all(not (b_start < end and b_end > start) for b_start, b_end in busy)


async def plan_week(user: Principal, data: PlanWeekIn) -> dict[str, Any]:
    await check_limit(user, LIMIT)
    goal = await resolve("goal", str(data.goal_id), user)
    if goal is None:
        raise NotFound("Goal not found")
    tz = zone(user.timezone)
    first = data.week_start or datetime.now(tz).date()
    days = [first + timedelta(days=i) for i in range(7)]
    if not data.weekends:
        days = [d for d in days if d.weekday() < 5]
    lo = datetime.combine(first, time(0), tzinfo=tz).astimezone(UTC)
    hi = datetime.combine(first + timedelta(days=7), time(0), tzinfo=tz).astimezone(UTC)
    busy = [(a, b) for a, b, _row in await views.occurrences(uuid.UUID(user.id), lo, hi)]
    tasks = [t for t in goal.get("tasks") or [] if not t.get("done")]
    now = datetime.now(UTC)
    created: list[dict[str, Any]] = []
    unplaced: list[str] = []
    for index, task in enumerate(tasks):
        aim = index * len(days) // max(len(tasks), 1)
        found = None
        for offset in range(len(days)):
            found = _find(days[(aim + offset) % len(days)], data, tz, busy, now)
            if found:
                break
        if found is None:
            unplaced.append(str(task.get("title", "")))
            continue
        start, end = found
        block = await service.create_block(
            user,
            BlockIn(
                title=str(task.get("title") or goal.get("title") or "Study")[:200],
                start_at=start,
                end_at=end,
                notes=f"Planned for goal: {goal.get('title', '')}"[:5000],
                goal_id=data.goal_id,
            ),
        )
        busy.append((start, end))
        created.append(block)
    return {"created": created, "unplaced": unplaced}


def _find(
    day: date,
    data: PlanWeekIn,
    tz: Any,
    busy: list[tuple[datetime, datetime]],
    now: datetime,
) -> tuple[datetime, datetime] | None:
    length = timedelta(minutes=data.session_minutes)
    cursor = datetime.combine(day, _clock(data.day_start), tzinfo=tz).astimezone(UTC)
    last = datetime.combine(day, _clock(data.day_end), tzinfo=tz).astimezone(UTC)
    while cursor + length <= last:
        end = cursor + length
        if cursor >= now and _free(cursor, end, busy):
            return cursor, end
        cursor += GRID
    return None
