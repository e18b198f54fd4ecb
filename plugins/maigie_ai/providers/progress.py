""" "How am I doing?": a progress report from the goals and courses the actions listed.

A goal is *on track* when its progress is at least the share of its time already spent
(created → target date) minus a margin; *behind* otherwise; overdue when the date has
passed unfinished.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from maigie_ai.providers.base import Outcome

MARGIN = 10  # percentage points of slack before a goal counts as behind


def _items(outcome: Outcome | None) -> list[dict[str, Any]] | None:
    if outcome is None or not outcome.ok:
        return None
    result = outcome.result
    items = result.get("items") if isinstance(result, dict) else result
    return [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []


def _day(value: Any) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def goal_line(goal: dict[str, Any], today: date) -> tuple[str, str]:
    """(verdict, sentence) for one active goal."""
    title, progress = goal.get("title", "?"), int(goal.get("progress") or 0)
    due = _day(goal.get("target_date"))
    if due is None:
        return "open", f"“{title}”: {progress}% done, no deadline."
    if due < today:
        return "overdue", f"“{title}”: {progress}% done, overdue since {due.isoformat()}."
    start = _day(goal.get("created_at")) or today
    total = max((due - start).days, 1)
    expected = min(100, round(100 * (today - start).days / total))
    days_left = (due - today).days
    verdict = "on track" if progress + MARGIN >= expected else "behind"
    detail = f"{progress}% done, {days_left} day{'s' if days_left != 1 else ''} left"
    if verdict == "behind":
        detail += f" (about {expected}% would be on schedule)"
    return verdict, f"“{title}”: {detail}, {verdict}."


def progress_report(outcomes: list[Outcome], today: date | datetime) -> str:
    if isinstance(today, datetime):
        today = today.date()
    by_name = {o.call.name: o for o in outcomes}
    goals = _items(by_name.get("list_goals"))
    courses = _items(by_name.get("list_courses"))
    if goals is None and courses is None:
        return "I can't read your goals or courses here: those features aren't enabled."
    parts: list[str] = []
    if goals is not None:
        active = [g for g in goals if g.get("status", "active") == "active"]
        done = [g for g in goals if g.get("status") == "completed"]
        if not active and not done:
            parts.append(
                "You have no goals yet: tell me one, like “I want to pass my exam in 3 weeks”."
            )
        else:
            lines = [goal_line(g, today) for g in active]
            behind = sum(1 for verdict, _ in lines if verdict in ("behind", "overdue"))
            head = f"You have {len(active)} active goal{'s' if len(active) != 1 else ''}"
            if done:
                head += f" and {len(done)} completed"
            head += "."
            if active:
                head += (
                    " You're on track with all of them."
                    if not behind
                    else f" {behind} need{'s' if behind == 1 else ''} attention."
                )
            parts.append(" ".join([head, *(sentence for _, sentence in lines)]))
    if courses is not None:
        if courses:
            listed = ", ".join(
                f"“{c.get('title')}” {int(c.get('progress') or 0)}%" for c in courses[:10]
            )
            parts.append(f"Courses: {listed}.")
        else:
            parts.append("You have no courses yet.")
    return " ".join(parts)
