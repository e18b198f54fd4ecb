"""Study plans (``POST /create-plan``): a goal's or course's remaining work, spread over weeks.

The goal or course is read through ``resolve_object`` (this plugin imports neither).
What is left to do — a course's unfinished topics, else a goal's open tasks, else the
goal itself — is laid out one item per session, on fixed weekdays at a fixed local hour,
from the start date until the goal's target date or the course's length. The blocks
are only suggestions unless ``apply`` is true; then each goes through the schedule
plugin's ``create_block`` action (validated like any other), if that plugin is enabled.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from typing import Any

from maigie_ai import actions, payloads
from maigie_ai.providers.base import Outcome, ToolCall
from maigie_ai.schemas import PlanIn
from maigie_ai.settings import AISettings
from maigie_core import NotFound, Principal, resolve_object, runtime

WEEKDAYS_FOR = {1: [2], 2: [1, 3], 3: [0, 2, 4], 4: [0, 1, 3, 4], 5: [0, 1, 2, 3, 4],
                6: [0, 1, 2, 3, 4, 5], 7: [0, 1, 2, 3, 4, 5, 6]}  # fmt: skip
DEFAULT_WEEKS = 4
MAX_BLOCKS = 100


def _topics_left(course: Mapping[str, Any]) -> list[str]:
    return [
        t["title"]
        for m in course.get("modules", [])
        for t in m.get("topics", [])
        if not t.get("done")
    ]


async def _source(
    user: Principal, data: PlanIn
) -> tuple[dict[str, Any], list[str], date | None, int | None]:
    """(source description, items to study, end date, weeks) of the goal or course."""
    if data.goal_id is not None:
        goal = await resolve_object("goal", str(data.goal_id), user)
        if goal is None:
            raise NotFound("Goal not found")
        items: list[str] = []
        course = None
        if goal.get("course_id"):
            course = await resolve_object("course", str(goal["course_id"]), user)
            if course is not None:
                items = _topics_left(course)
        if not items:
            items = [t["title"] for t in goal.get("tasks", []) if not t.get("done")]
        if not items:
            items = [goal["title"]]
        end = date.fromisoformat(goal["target_date"]) if goal.get("target_date") else None
        weeks = course.get("duration_weeks") if course else None
        return {"kind": "goal", "id": str(data.goal_id), "title": goal["title"]}, items, end, weeks
    course = await resolve_object("course", str(data.course_id), user)
    if course is None:
        raise NotFound("Course not found")
    items = _topics_left(course) or [f"Review {course['title']}"]
    source = {"kind": "course", "id": str(data.course_id), "title": course["title"]}
    return source, items, None, course.get("duration_weeks")


async def create_plan(
    user: Principal, data: PlanIn, settings: AISettings, now: datetime
) -> dict[str, Any]:
    source, items, end, weeks = await _source(user, data)
    per_week = data.sessions_per_week or settings.plan_sessions_per_week
    minutes = data.session_minutes or settings.plan_session_minutes
    start = data.start_date or now.date() + timedelta(days=1)
    if end is None or end < start:
        span = weeks or max(1, -(-len(items) // per_week)) or DEFAULT_WEEKS
        end = start + timedelta(weeks=span) - timedelta(days=1)
    days = WEEKDAYS_FOR[per_week]
    slots: list[date] = []
    day = start
    while day <= end and len(slots) < MAX_BLOCKS:
        if day.weekday() in days:
            slots.append(day)
        day += timedelta(days=1)
    blocks: list[dict[str, Any]] = []
    for index, when in enumerate(slots):
        topic = items[index] if index < len(items) else f"Review: {items[index % len(items)]}"
        begin = datetime.combine(when, time(settings.plan_session_hour), tzinfo=now.tzinfo)
        finish = begin + timedelta(minutes=minutes)
        blocks.append(
            {
                "title": f"Study: {topic}"[:200],
                "topic": topic,
                "start_at": begin.isoformat(),
                "end_at": finish.isoformat(),
                "minutes": minutes,
            }
        )
    weeks_out = []
    for offset in range(0, (end - start).days + 1, 7):
        week_start = start + timedelta(days=offset)
        week_end = week_start + timedelta(days=6)
        focus = [
            b["topic"]
            for b in blocks
            if week_start.isoformat() <= b["start_at"][:10] <= week_end.isoformat()
        ]
        weeks_out.append(
            {"week": offset // 7 + 1, "start_date": week_start.isoformat(), "focus": focus}
        )
    unscheduled = max(0, len(items) - len(blocks))
    note = (
        f"{len(items)} item(s) to study over {len(weeks_out)} week(s), {per_week} session(s) of "
        f"{minutes} min a week at {settings.plan_session_hour:02d}:00."
    )
    if unscheduled:
        note += (
            f" {unscheduled} item(s) do not fit before the end date: add sessions or move the date."
        )
    taken: list[Outcome] = []
    if data.apply:
        taken = await apply_blocks(user, blocks, source)
        created = sum(1 for o in taken if o.ok)
        note += f" Created {created} of {len(blocks)} schedule block(s)."
        refused = next((o for o in taken if not o.ok), None)
        if refused is not None and refused.status == "unavailable":
            note += " Scheduling is not available here (the schedule plugin is not enabled)."
        elif refused is not None:
            note += f" Refused: {(refused.error or {}).get('message')}."
    else:
        note += " Nothing was created: send apply=true to add these blocks to your schedule."
    return {
        "source": source,
        "start_date": start.isoformat(),
        "end_date": end.isoformat(),
        "weeks": weeks_out,
        "blocks": blocks,
        "applied": bool(data.apply) and any(o.ok for o in taken),
        "actions": [o.as_json() for o in taken],
        "note": note,
    }


async def apply_blocks(
    user: Principal, blocks: list[dict[str, Any]], source: dict[str, Any]
) -> list[Outcome]:
    """Create the blocks through ``create_block``; stop at the first refusal but overlaps."""
    available = runtime().ai_actions
    action = available.get("create_block")
    outcomes = []
    link = {f"{source['kind']}_id": source["id"]}
    for block in blocks:
        candidate = {
            "title": block["title"],
            "start_at": block["start_at"],
            "end_at": block["end_at"],
            "minutes": block["minutes"],
            **link,
        }
        outcome = await actions.run(
            user, ToolCall("create_block", payloads.fit(action, candidate)), available
        )
        outcomes.append(outcome)
        if not outcome.ok and (outcome.error or {}).get("code") != "CONFLICT":
            break
    return outcomes
