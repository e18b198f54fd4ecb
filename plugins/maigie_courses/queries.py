"""Reading courses as one member sees them: two SQL statements for any number of courses.

The first statement selects the courses (with the caller's role) through their
enrollments; the second reads every module, topic and the caller's ticks of those
courses in one LEFT JOIN. Rows stay tuples and become the REST JSON in one pass.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from peewee import JOIN

from maigie_core import NotFound
from maigie_core.pagination import decode_cursor, encode_cursor
from maigie_courses.models import OWNER, STUDENT, Completion, Course, Enrollment, Module, Topic

Row = tuple[Any, ...]  # one course, in COURSE_COLUMNS order
Modules = dict[Any, list[dict[str, Any]]]

COURSE_COLUMNS = (
    Course.id,
    Course.created_at,
    Course.updated_at,
    Course.title,
    Course.description,
    Course.owner_id,
    Enrollment.role,
    Course.ai_generated,
    Course.frozen,
    Course.duration_weeks,
)


def stamp(value: datetime) -> str:
    """RFC 3339 UTC (stored timestamps are naive UTC)."""
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.isoformat(timespec="microseconds") + "Z"


def parse_id(value: Any) -> uuid.UUID:
    """A path id as a UUID; anything else is a course that does not exist (404)."""
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except (ValueError, TypeError, AttributeError):
        raise NotFound("Course not found") from None


def _member_courses(user_id: uuid.UUID) -> Any:
    return (
        Course.select(*COURSE_COLUMNS)
        .join(Enrollment, on=(Enrollment.course_id == Course.id))
        .where(Enrollment.user_id == user_id)
    )


async def _structure(course_ids: Sequence[uuid.UUID], user_id: uuid.UUID) -> Modules:
    """Modules (with topics and the caller's ticks) of ``course_ids``, keyed by course."""
    rows = await (
        Module.select(
            Module.course_id,
            Module.id,
            Module.created_at,
            Module.updated_at,
            Module.title,
            Module.position,
            Topic.id,
            Topic.created_at,
            Topic.updated_at,
            Topic.title,
            Topic.position,
            Topic.estimated_minutes,
            Completion.id,
        )
        .join(Topic, on=(Topic.module_id == Module.id), join_type=JOIN.LEFT_OUTER)
        .join(
            Completion,
            on=((Completion.topic_id == Topic.id) & (Completion.user_id == user_id)),
            join_type=JOIN.LEFT_OUTER,
        )
        .where(Module.course_id.in_(list(course_ids)))
        .order_by(Module.course_id, Module.position, Module.id, Topic.position)
        .tuples()
        .aio_execute()
    )
    modules: Modules = {}
    current: dict[str, Any] | None = None
    for course_id, mid, mc, mu, mtitle, mpos, tid, tc, tu, ttitle, tpos, minutes, ticked in rows:
        if current is None or current["id"] != str(mid):
            current = {
                "id": str(mid),
                "created_at": stamp(mc),
                "updated_at": stamp(mu),
                "title": mtitle,
                "order": mpos,
                "topics": [],
            }
            modules.setdefault(course_id, []).append(current)
        if tid is not None:
            current["topics"].append(
                {
                    "id": str(tid),
                    "created_at": stamp(tc),
                    "updated_at": stamp(tu),
                    "title": ttitle,
                    "order": tpos,
                    "estimated_minutes": minutes,
                    "done": ticked is not None,
                }
            )
    return modules


def _progress(modules: Iterable[dict[str, Any]]) -> int:
    total = done = 0
    for module in modules:
        for topic in module["topics"]:
            total += 1
            done += topic["done"]
    return 100 * done // total if total else 0


async def render(rows: Sequence[Row], user_id: uuid.UUID) -> list[dict[str, Any]]:
    """Course rows (``COURSE_COLUMNS``) as the REST API returns them to ``user_id``."""
    if not rows:
        return []
    structure = await _structure([row[0] for row in rows], user_id)
    out = []
    for cid, created, updated, title, description, owner, role, ai, frozen, weeks in rows:
        modules = structure.get(cid, [])
        out.append(
            {
                "id": str(cid),
                "created_at": stamp(created),
                "updated_at": stamp(updated),
                "title": title,
                "description": description,
                "owner_id": str(owner),
                "role": role,
                "ai_generated": bool(ai),
                "frozen": bool(frozen),
                "duration_weeks": weeks,
                "progress": _progress(modules),
                "modules": modules,
            }
        )
    return out


async def membership(course_id: uuid.UUID, user_id: uuid.UUID) -> Row | None:
    """The course row (``COURSE_COLUMNS``) if ``user_id`` is a member, else None."""
    rows = await _member_courses(user_id).where(Course.id == course_id).tuples().aio_execute()
    return rows[0] if rows else None


async def visible_row(course_id: Any, user_id: uuid.UUID) -> Row:
    """The course row for a member; 404 for everyone else (never a hint it exists)."""
    row = await membership(parse_id(course_id), user_id)
    if row is None:
        raise NotFound("Course not found")
    return row


async def course_json(course_id: Any, user_id: uuid.UUID) -> dict[str, Any]:
    """One course as ``user_id`` sees it; 404 unless they are a member."""
    return (await render([await visible_row(course_id, user_id)], user_id))[0]


def shared_view(course: dict[str, Any]) -> dict[str, Any]:
    """The course without one member's fields (role, progress, ticks): for ``course:{id}``."""
    view = {k: v for k, v in course.items() if k not in ("role", "progress", "modules")}
    view["modules"] = [
        {**m, "topics": [{k: v for k, v in t.items() if k != "done"} for t in m["topics"]]}
        for m in course["modules"]
    ]
    return view


# -- listing ----------------------------------------------------------------------------


async def page(
    user_id: uuid.UUID,
    *,
    limit: int = 20,
    cursor: str | None = None,
    scope: str = "all",
    ai_generated: bool | None = None,
    q: str | None = None,
) -> dict[str, Any]:
    """The caller's courses, newest first: ``{"items", "next_cursor"}``."""
    query = _member_courses(user_id)
    if scope == "created":
        query = query.where(Enrollment.role == OWNER)
    elif scope == "enrolled":
        query = query.where(Enrollment.role == STUDENT)
    if ai_generated is not None:
        query = query.where(Course.ai_generated == ai_generated)
    q = (q or "").replace("\x00", "").strip()  # data, never an error (PostgreSQL: no NUL)
    if q:
        query = query.where(Course.title.contains(q))  # bound, LIKE-escaped
    if position := decode_cursor(cursor):
        created, after = position
        query = query.where(
            (Course.created_at < created) | ((Course.created_at == created) & (Course.id < after))
        )
    rows = list(
        await query.order_by(Course.created_at.desc(), Course.id.desc())
        .limit(limit + 1)
        .tuples()
        .aio_execute()
    )
    more = len(rows) > limit
    rows = rows[:limit]
    return {
        "items": await render(rows, user_id),
        "next_cursor": encode_cursor(rows[-1][1], rows[-1][0]) if more else None,
    }
