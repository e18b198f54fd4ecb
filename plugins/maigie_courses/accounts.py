"""A user's course data on account deletion and export."""

from __future__ import annotations

import uuid
from typing import Any

from maigie_core import emit
from maigie_courses import queries
from maigie_courses.models import OWNER, Completion, Course, Enrollment, WriteLock
from maigie_courses.service import delete_courses, write_lock


async def delete_user_data(user_id: str) -> None:
    """Delete the user's courses (members are told on ``course:{id}``), enrollments, ticks."""
    me = uuid.UUID(str(user_id))
    await write_lock(me)  # a write first: SQLite's lock before any read, as everywhere
    owned = [
        row[0]
        for row in await Course.select(Course.id)
        .where(Course.owner_id == me)
        .tuples()
        .aio_execute()
    ]
    if owned:
        await delete_courses(owned)
    await Completion.delete().where(Completion.user_id == me).aio_execute()
    await Enrollment.delete().where(Enrollment.user_id == me).aio_execute()
    await WriteLock.delete().where(WriteLock.id == me).aio_execute()
    for course_id in owned:
        await emit("course.deleted", str(me), {"id": str(course_id)}, channel=f"course:{course_id}")


async def export_user_data(user_id: str) -> dict[str, Any]:
    """The courses the user owns (as the API shows them), their enrollments and ticks."""
    me = uuid.UUID(str(user_id))
    owned = await (
        Course.select(*queries.COURSE_COLUMNS)
        .join(Enrollment, on=(Enrollment.course_id == Course.id))
        .where((Enrollment.user_id == me) & (Enrollment.role == OWNER))
        .order_by(Course.created_at, Course.id)
        .tuples()
        .aio_execute()
    )
    enrollments = await (
        Enrollment.select(Enrollment.course_id, Enrollment.role, Enrollment.created_at)
        .where(Enrollment.user_id == me)
        .order_by(Enrollment.created_at)
        .tuples()
        .aio_execute()
    )
    ticks = await (
        Completion.select(Completion.course_id, Completion.topic_id, Completion.created_at)
        .where(Completion.user_id == me)
        .order_by(Completion.created_at)
        .tuples()
        .aio_execute()
    )
    return {
        "courses": await queries.render(list(owned), me),
        "enrollments": [
            {"course_id": str(cid), "role": role, "enrolled_at": queries.stamp(at)}
            for cid, role, at in enrollments
        ],
        "completed_topics": [
            {"course_id": str(cid), "topic_id": str(tid), "completed_at": queries.stamp(at)}
            for cid, tid, at in ticks
        ],
    }
