"""Everything that changes courses: one transaction each, events after commit.

Every write transaction starts by upserting the caller's ``WriteLock`` row (see
``models.py``), so the tier limit's "count then insert" is atomic on PostgreSQL and
SQLite alike. Routes and AI actions both call these functions.
"""

from __future__ import annotations

import hmac
import secrets
import uuid
from typing import Any

from maigie_core import Conflict, Forbidden, NotFound, Principal, emit, transaction, utcnow
from maigie_core.tiers import allowance, check_limit, frozen_error
from maigie_courses import queries
from maigie_courses.models import (
    OWNER,
    STUDENT,
    Completion,
    Course,
    Enrollment,
    Module,
    Topic,
    WriteLock,
)
from maigie_courses.schemas import CourseIn, CoursePatch, CreateCoursePayload
from maigie_courses.structure import apply_patch, insert_structure

AI_COURSES = "ai_courses"

# Positions in a queries.COURSE_COLUMNS row.
OWNER_ID, ROLE, AI_GENERATED, FROZEN = 5, 6, 7, 8


async def write_lock(user_id: uuid.UUID) -> None:
    """Serialise this user's course writes until the transaction ends (first statement)."""
    now = utcnow()
    await (
        WriteLock.insert(id=user_id, created_at=now, updated_at=now)
        .on_conflict(conflict_target=[WriteLock.id], update={WriteLock.updated_at: now})
        .aio_execute()
    )


async def count_ai_courses(user_id: str | uuid.UUID) -> int:
    """AI-generated courses the user owns, frozen ones included (the limit's usage)."""
    owner = user_id if isinstance(user_id, uuid.UUID) else uuid.UUID(str(user_id))
    count: int = await (
        Course.select()
        .where((Course.owner_id == owner) & (Course.ai_generated == True))  # noqa: E712
        .aio_count()
    )
    return count


def _me(user: Principal) -> uuid.UUID:
    return uuid.UUID(str(user.id))


def _owned_writable(row: tuple[Any, ...]) -> None:
    if row[ROLE] != OWNER:
        raise Forbidden("Only the course's owner can change it")
    if row[FROZEN]:
        raise frozen_error("course", AI_COURSES)


async def _announce(name: str, course: dict[str, Any], *, members: bool = True) -> None:
    """Tell the owner's channel (their view) and the course's members (a shared view)."""
    owner = course["owner_id"]
    await emit(name, owner, course, channel=f"user:{owner}")
    if members:
        await emit(name, owner, queries.shared_view(course), channel=f"course:{course['id']}")


# -- courses ----------------------------------------------------------------------------


async def create_course(
    user: Principal, data: CourseIn | CreateCoursePayload, *, ai_generated: bool
) -> dict[str, Any]:
    """Create a course with its modules and topics; AI-generated ones count to the limit."""
    owner, now, course_id = _me(user), utcnow(), uuid.uuid4()
    async with transaction():
        if ai_generated:
            await write_lock(owner)
            await check_limit(user, AI_COURSES, current=await count_ai_courses(owner))
        await Course.insert(
            id=course_id,
            owner_id=owner,
            title=data.title,
            description=data.description,
            ai_generated=ai_generated,
            frozen=False,
            duration_weeks=data.duration_weeks,
            created_at=now,
            updated_at=now,
        ).aio_execute()
        await Enrollment.insert(
            id=uuid.uuid4(),
            course_id=course_id,
            user_id=owner,
            role=OWNER,
            created_at=now,
            updated_at=now,
        ).aio_execute()
        await insert_structure(course_id, data.modules, now)
        course = await queries.course_json(course_id, owner)
        await _announce("course.created", course, members=False)
    return course


async def update_course(user: Principal, course_id: str, patch: CoursePatch) -> dict[str, Any]:
    """Merge ``patch`` (see ``structure.py`` for ``modules``); owner only, not frozen."""
    me, now = _me(user), utcnow()
    async with transaction():
        await write_lock(me)
        row = await queries.visible_row(course_id, me)
        _owned_writable(row)
        cid = row[0]
        changed = False
        if patch.modules is not None:
            changed = await apply_patch(cid, patch.modules, now)
        values = {
            name: getattr(patch, name)
            for name in ("title", "description", "duration_weeks")
            if name in patch.model_fields_set
        }
        current = dict(zip(("title", "description"), row[3:5], strict=True))
        current["duration_weeks"] = row[9]
        values = {k: v for k, v in values.items() if current[k] != v}
        if values or changed:
            await Course.update(**values, updated_at=now).where(Course.id == cid).aio_execute()
        course = await queries.course_json(cid, me)
        if values or changed:
            await _announce("course.updated", course)
    return course


async def delete_course(user: Principal, course_id: str) -> None:
    """Delete a course and everything under it, every member's ticks included (owner only).

    Allowed on a frozen course: deleting is how a user gets back under a limit, and it
    unfreezes the next AI-generated course that now fits.
    """
    me = _me(user)
    async with transaction():
        await write_lock(me)
        row = await queries.visible_row(course_id, me)
        if row[ROLE] != OWNER:
            raise Forbidden("Only the course's owner can delete it")
        await delete_courses([row[0]])
        data = {"id": str(row[0])}
        await emit("course.deleted", str(me), data, channel=f"user:{me}")
        await emit("course.deleted", str(me), data, channel=f"course:{row[0]}")
        if row[AI_GENERATED]:
            await _announce_changed(me, await rebalance(me, user.tier))


async def delete_courses(ids: list[uuid.UUID]) -> None:
    """Delete courses with their modules, topics, enrollments and every member's ticks."""
    for model in (Completion, Enrollment, Topic, Module):
        await model.delete().where(model.course_id.in_(ids)).aio_execute()
    await Course.delete().where(Course.id.in_(ids)).aio_execute()


# -- membership and progress --------------------------------------------------------------


async def enroll(user: Principal, course_id: str, share_code: str) -> tuple[dict[str, Any], bool]:
    """Join a shared course as a student with its share code; (course, newly enrolled)."""
    me, now = _me(user), utcnow()
    cid = queries.parse_id(course_id)
    async with transaction():
        await write_lock(me)
        if await queries.membership(cid, me) is not None:
            return await queries.course_json(cid, me), False
        found = await (
            Course.select(Course.share_code, Course.frozen).where(Course.id == cid).tuples()
        ).aio_execute()
        code = found[0][0] if found else None
        if code is None or not hmac.compare_digest(code.encode(), share_code.encode()):
            raise NotFound("Course not found")
        if found[0][1]:
            raise frozen_error("course", AI_COURSES)
        await Enrollment.insert(
            id=uuid.uuid4(), course_id=cid, user_id=me, role=STUDENT, created_at=now, updated_at=now
        ).aio_execute()
        return await queries.course_json(cid, me), True


async def leave(user: Principal, course_id: str) -> None:
    """A student leaves a course, and their ticks with it; the owner cannot leave."""
    me = _me(user)
    async with transaction():
        await write_lock(me)
        row = await queries.visible_row(course_id, me)
        if row[ROLE] == OWNER:
            raise Conflict("The owner cannot leave a course; delete it instead")
        await (
            Completion.delete()
            .where((Completion.course_id == row[0]) & (Completion.user_id == me))
            .aio_execute()
        )
        await (
            Enrollment.delete()
            .where((Enrollment.course_id == row[0]) & (Enrollment.user_id == me))
            .aio_execute()
        )


async def set_done(user: Principal, course_id: str, topic_id: str, done: bool) -> dict[str, Any]:
    """Tick (or untick) a topic for the caller only; returns the course with their progress."""
    me, now = _me(user), utcnow()
    async with transaction():
        await write_lock(me)
        row = await queries.visible_row(course_id, me)
        if row[FROZEN]:
            raise frozen_error("course", AI_COURSES)
        cid = row[0]
        try:
            tid = queries.parse_id(topic_id)
        except NotFound:
            raise NotFound("Topic not found") from None
        topic = await (
            Topic.select(Topic.module_id).where((Topic.id == tid) & (Topic.course_id == cid))
        ).aio_exists()
        if not topic:
            raise NotFound("Topic not found")
        mine = (Completion.user_id == me) & (Completion.topic_id == tid)
        ticked = await Completion.select().where(mine).aio_exists()
        if done and not ticked:
            await Completion.insert(
                id=uuid.uuid4(),
                course_id=cid,
                topic_id=tid,
                user_id=me,
                created_at=now,
                updated_at=now,
            ).aio_execute()
        elif not done and ticked:
            await Completion.delete().where(mine).aio_execute()
        course = await queries.course_json(cid, me)
        if done != ticked:
            data = {
                "course_id": str(cid),
                "topic_id": str(tid),
                "user_id": str(me),
                "done": done,
                "progress": course["progress"],
            }
            name = "topic.completed" if done else "topic.uncompleted"
            await emit(name, str(me), data, channel=f"user:{me}")
            await emit(name, str(me), data, channel=f"course:{cid}")
    return course


# -- sharing ----------------------------------------------------------------------------


async def share_code(user: Principal, course_id: str, *, rotate: bool) -> str | None:
    """The course's share code (owner only); ``rotate`` makes a new one, killing the old."""
    me = _me(user)
    if not rotate:
        row = await queries.visible_row(course_id, me)
        if row[ROLE] != OWNER:
            raise Forbidden("Only the course's owner can share it")
        found = (
            await Course.select(Course.share_code).where(Course.id == row[0]).tuples().aio_execute()
        )
        return found[0][0] if found else None
    code = secrets.token_urlsafe(12)
    async with transaction():
        await write_lock(me)
        row = await queries.visible_row(course_id, me)
        _owned_writable(row)
        await Course.update(share_code=code).where(Course.id == row[0]).aio_execute()
    return code


async def stop_sharing(user: Principal, course_id: str) -> None:
    """Forget the share code: nobody new can enroll; current students stay."""
    me = _me(user)
    async with transaction():
        await write_lock(me)
        row = await queries.visible_row(course_id, me)
        if row[ROLE] != OWNER:
            raise Forbidden("Only the course's owner can share it")
        await Course.update(share_code=None).where(Course.id == row[0]).aio_execute()


# -- tiers ------------------------------------------------------------------------------


async def rebalance(owner: uuid.UUID, tier: Any) -> list[uuid.UUID]:
    """Freeze the AI-generated courses past ``tier``'s allowance (oldest stay writable),
    unfreeze those within it; returns the ids whose state changed."""
    cap = allowance(AI_COURSES, tier)
    rows = await (
        Course.select(Course.id, Course.frozen)
        .where((Course.owner_id == owner) & (Course.ai_generated == True))  # noqa: E712
        .order_by(Course.created_at, Course.id)
        .tuples()
        .aio_execute()
    )
    freeze = [
        cid for i, (cid, frozen) in enumerate(rows) if cap is not None and i >= cap and not frozen
    ]
    thaw = [cid for i, (cid, frozen) in enumerate(rows) if (cap is None or i < cap) and frozen]
    now = utcnow()
    for ids, frozen in ((freeze, True), (thaw, False)):
        if ids:
            await (
                Course.update(frozen=frozen, updated_at=now).where(Course.id.in_(ids)).aio_execute()
            )
    return freeze + thaw


async def _announce_changed(owner: uuid.UUID, changed: list[uuid.UUID]) -> None:
    if not changed:
        return
    rows = await (
        Course.select(*queries.COURSE_COLUMNS)
        .join(Enrollment, on=(Enrollment.course_id == Course.id))
        .where((Enrollment.user_id == owner) & Course.id.in_(changed))
        .order_by(Course.created_at)
        .tuples()
        .aio_execute()
    )
    for course in await queries.render(rows, owner):
        await _announce("course.updated", course)


async def apply_tier(user_id: str, tier: Any) -> None:
    """Make the user's AI-generated courses fit ``tier`` (the ``apply_tier_limits`` hook)."""
    owner = uuid.UUID(str(user_id))
    async with transaction():
        await write_lock(owner)
        await _announce_changed(owner, await rebalance(owner, tier))
