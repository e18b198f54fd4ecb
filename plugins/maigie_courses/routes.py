"""``/api/v1/courses``: the REST API of courses (see the plugin README for the shapes)."""

from __future__ import annotations

from typing import Any

from quart import Blueprint
from quart_schema import document_response, validate_querystring

from maigie_core.auth import current_user, require_user
from maigie_core.bodies import validate_body
from maigie_courses import queries, service
from maigie_courses.schemas import (
    CourseIn,
    CourseOut,
    CoursePage,
    CoursePatch,
    CourseQuery,
    EnrollIn,
    ShareOut,
)

courses_blueprint = Blueprint("courses", __name__, url_prefix="/api/v1/courses")

NO_CONTENT = ("", 204)


def _me() -> Any:
    return queries.parse_id(current_user().id)


@courses_blueprint.get("")
@require_user
@validate_querystring(CourseQuery)
@document_response(CoursePage)
async def list_courses(query_args: CourseQuery) -> dict[str, Any]:
    """The caller's courses (owned and enrolled), newest first, one page."""
    return await queries.page(
        _me(),
        limit=query_args.limit,
        cursor=query_args.cursor,
        scope=query_args.scope,
        ai_generated=query_args.ai_generated,
        q=query_args.q,
    )


@courses_blueprint.post("")
@require_user
@validate_body(CourseIn)
@document_response(CourseOut, 201)
async def create_course(data: CourseIn) -> tuple[dict[str, Any], int]:
    """Create a course with its modules and topics in one transaction."""
    course = await service.create_course(current_user(), data, ai_generated=data.ai_generated)
    return course, 201


@courses_blueprint.get("/<course_id>")
@require_user
@document_response(CourseOut)
async def get_course(course_id: str) -> dict[str, Any]:
    """One course, with the caller's own progress."""
    return await queries.course_json(course_id, _me())


@courses_blueprint.patch("/<course_id>")
@require_user
@validate_body(CoursePatch)
@document_response(CourseOut)
async def patch_course(course_id: str, data: CoursePatch) -> dict[str, Any]:
    """Merge title/description/duration; ``modules`` replaces the ordered structure."""
    return await service.update_course(current_user(), course_id, data)


@courses_blueprint.delete("/<course_id>")
@require_user
async def delete_course(course_id: str) -> tuple[str, int]:
    """Delete the course for everyone (owner only)."""
    await service.delete_course(current_user(), course_id)
    return NO_CONTENT


@courses_blueprint.post("/<course_id>/enroll")
@require_user
@validate_body(EnrollIn)
@document_response(CourseOut, 201)
@document_response(CourseOut, 200)
async def enroll(course_id: str, data: EnrollIn) -> tuple[dict[str, Any], int]:
    """Join a shared course as a student with its share code (201; 200 if already a member)."""
    course, created = await service.enroll(current_user(), course_id, data.share_code)
    return course, 201 if created else 200


@courses_blueprint.delete("/<course_id>/enroll")
@require_user
async def leave(course_id: str) -> tuple[str, int]:
    """Leave a course you are a student of (your ticks go with you)."""
    await service.leave(current_user(), course_id)
    return NO_CONTENT


@courses_blueprint.put("/<course_id>/topics/<topic_id>/done")
@require_user
@document_response(CourseOut)
async def mark_done(course_id: str, topic_id: str) -> dict[str, Any]:
    """Mark a topic done for the caller (idempotent); returns the course."""
    return await service.set_done(current_user(), course_id, topic_id, True)


@courses_blueprint.delete("/<course_id>/topics/<topic_id>/done")
@require_user
@document_response(CourseOut)
async def mark_undone(course_id: str, topic_id: str) -> dict[str, Any]:
    """Mark a topic not done for the caller (idempotent); returns the course."""
    return await service.set_done(current_user(), course_id, topic_id, False)


@courses_blueprint.get("/<course_id>/share")
@require_user
@document_response(ShareOut)
async def get_share(course_id: str) -> dict[str, Any]:
    """The course's share code, or null when it is not shared (owner only)."""
    return {"share_code": await service.share_code(current_user(), course_id, rotate=False)}


@courses_blueprint.post("/<course_id>/share")
@require_user
@document_response(ShareOut)
async def share(course_id: str) -> dict[str, Any]:
    """Share the course: a new code (any previous one stops working) (owner only)."""
    return {"share_code": await service.share_code(current_user(), course_id, rotate=True)}


@courses_blueprint.delete("/<course_id>/share")
@require_user
async def stop_sharing(course_id: str) -> tuple[str, int]:
    """Stop sharing: the code stops working; enrolled students stay (owner only)."""
    await service.stop_sharing(current_user(), course_id)
    return NO_CONTENT
