"""Resources as a user sees them: create, read, change, delete; visibility in one place.

A user sees their own resources and the shared ones. Another user's private resource
is "not found" everywhere, never forbidden (SPEC §4). Shared resources are written
(changed, deleted) by administrators only.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from maigie_core import Forbidden, NotFound, Principal, ValidationFailed, emit, transaction
from maigie_core import resolve_object as resolve
from maigie_core.db import utcnow
from maigie_resources.models import Resource, ResourceTag
from maigie_resources.schemas import ResourceIn, ResourcePatch

NOT_NULL = ("title", "url", "type", "description", "tags", "shared")


def resource_json(resource: Resource) -> dict[str, Any]:
    """A resource as the REST API returns it (SPEC §5)."""
    return {
        "id": str(resource.id),
        "title": resource.title,
        "url": resource.url,
        "type": resource.type,
        "description": resource.description,
        "tags": json.loads(resource.tags),
        "course_id": None if resource.course_id is None else str(resource.course_id),
        "topic_id": None if resource.topic_id is None else str(resource.topic_id),
        "shared": bool(resource.shared),
        "created_at": resource.created_at,
        "updated_at": resource.updated_at,
    }


def _parse_id(value: Any) -> uuid.UUID | None:
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except (ValueError, TypeError, AttributeError):
        return None


def visible_to(user: Principal) -> Any:
    return (Resource.owner_id == uuid.UUID(user.id)) | (Resource.shared == True)  # noqa: E712


async def find_visible(user: Principal, resource_id: Any) -> Resource | None:
    """The resource if ``user`` may see it (own or shared); ``None`` otherwise."""
    ident = _parse_id(resource_id)
    if ident is None:
        return None
    found: Resource | None = (
        await Resource.select().where((Resource.id == ident) & visible_to(user)).aio_first()
    )
    return found


async def get_visible(user: Principal, resource_id: Any) -> Resource:
    resource = await find_visible(user, resource_id)
    if resource is None:
        raise NotFound("Resource not found")
    return resource


def _writable(user: Principal, resource: Resource) -> None:
    if resource.shared and not user.is_admin:
        raise Forbidden("Shared resources are changed by administrators only")
    if not resource.shared and str(resource.owner_id) != user.id:
        raise NotFound("Resource not found")  # an admin's own view: never others' private


def _field_error(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(
        "Request validation failed",
        detail=[{"loc": ["body", field], "msg": message, "type": "value_error"}],
    )


async def check_course(user: Principal, course_id: Any, topic_id: Any) -> None:
    """The course (and topic in it) must exist and be visible: read via ``resolve_object``."""
    if course_id is None:
        if topic_id is not None:
            raise _field_error("topic_id", "topic_id needs the course_id it belongs to")
        return
    course = await resolve("course", str(course_id), user)
    if course is None:
        raise _field_error("course_id", "no such course")
    if topic_id is not None:
        topics = {
            str(topic.get("id"))
            for module in course.get("modules") or []
            for topic in module.get("topics") or []
        }
        if str(topic_id) not in topics:
            raise _field_error("topic_id", "no such topic in this course")


async def _set_tags(resource_id: uuid.UUID, tags: list[str], replace: bool) -> None:
    if replace:
        await ResourceTag.delete().where(ResourceTag.resource == resource_id).aio_execute()
    if tags:
        now = utcnow()
        rows = [
            {"resource": resource_id, "tag": tag, "created_at": now, "updated_at": now}
            for tag in tags
        ]
        await ResourceTag.insert_many(rows).aio_execute()


def _channel(resource: Resource) -> str | None:
    return "public" if resource.shared else None


async def create(user: Principal, data: ResourceIn) -> dict[str, Any]:
    if data.shared and not user.is_admin:
        raise Forbidden("Only administrators share resources with everyone")
    await check_course(user, data.course_id, data.topic_id)
    async with transaction():
        resource = await Resource.aio_create(
            owner_id=uuid.UUID(user.id),
            shared=data.shared,
            title=data.title,
            url=data.url,
            type=data.type,
            description=data.description,
            tags=json.dumps(data.tags, ensure_ascii=False),
            course_id=data.course_id,
            topic_id=data.topic_id,
        )
        await _set_tags(resource.id, data.tags, replace=False)
        body = resource_json(resource)
        await emit("resource.created", user.id, body, channel=_channel(resource))
    return body


async def update(user: Principal, resource_id: Any, patch: ResourcePatch) -> dict[str, Any]:
    changes = patch.model_dump(exclude_unset=True)
    for field in NOT_NULL:
        if field in changes and changes[field] is None:
            raise _field_error(field, "cannot be null")
    async with transaction():
        resource = await get_visible(user, resource_id)
        _writable(user, resource)
        if "shared" in changes and changes["shared"] != resource.shared and not user.is_admin:
            raise Forbidden("Only administrators share resources with everyone")
        if "course_id" in changes or "topic_id" in changes:
            course_id = changes.get("course_id", resource.course_id)
            same_course = course_id == resource.course_id
            topic_id = changes.get("topic_id", resource.topic_id if same_course else None)
            changes["course_id"], changes["topic_id"] = course_id, topic_id
            await check_course(user, course_id, topic_id)
        was_shared = resource.shared
        for field, value in changes.items():
            if field == "tags":
                value = json.dumps(value, ensure_ascii=False)
            setattr(resource, field, value)
        resource.updated_at = utcnow()
        await resource.aio_save()
        if "tags" in changes:
            await _set_tags(resource.id, changes["tags"], replace=True)
        body = resource_json(resource)
        channel = "public" if (was_shared or resource.shared) else None
        await emit("resource.updated", user.id, body, channel=channel)
    return body


async def delete(user: Principal, resource_id: Any) -> None:
    async with transaction():
        resource = await get_visible(user, resource_id)
        _writable(user, resource)
        await Resource.delete().where(Resource.id == resource.id).aio_execute()
        await emit(
            "resource.deleted", user.id, {"id": str(resource.id)}, channel=_channel(resource)
        )


async def delete_owned_by(user_id: str) -> int:
    """Every resource ``user_id`` owns (shared ones they created included); tags cascade."""
    owner = uuid.UUID(str(user_id))
    ids = Resource.select(Resource.id).where(Resource.owner_id == owner)
    await ResourceTag.delete().where(ResourceTag.resource.in_(ids)).aio_execute()
    return int(await Resource.delete().where(Resource.owner_id == owner).aio_execute())


async def export_owned_by(user_id: str) -> list[dict[str, Any]]:
    owner = uuid.UUID(str(user_id))
    rows = (
        await Resource.select()
        .where(Resource.owner_id == owner)
        .order_by(Resource.created_at)
        .aio_execute()
    )
    return [resource_json(row) for row in rows]


async def clear_course(course_id: Any) -> None:
    """A course was deleted: resources stop pointing at it."""
    ident = _parse_id(course_id)
    if ident is not None:
        await (
            Resource.update(course_id=None, topic_id=None)
            .where(Resource.course_id == ident)
            .aio_execute()
        )
