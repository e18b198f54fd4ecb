"""``/api/v1/notifications``: the caller's notifications, newest first, and marking read."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from quart import Blueprint
from quart_schema import document_response, validate_querystring

from maigie_core.auth.guards import current_user, require_user
from maigie_core.notifications import service

notifications_blueprint = Blueprint("notifications", __name__, url_prefix="/api/v1/notifications")


class NotificationQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    limit: int = Field(default=20, ge=1, le=100)
    cursor: str | None = Field(default=None, max_length=200)
    unread: bool = False


class NotificationOut(BaseModel):
    id: str
    kind: str
    title: str
    body: str
    data: dict[str, Any]
    read: bool
    read_at: str | None
    created_at: str
    updated_at: str


class NotificationList(BaseModel):
    items: list[NotificationOut]
    next_cursor: str | None


class UnreadCount(BaseModel):
    unread: int


class ReadAll(BaseModel):
    updated: int


@notifications_blueprint.get("")
@require_user
@validate_querystring(NotificationQuery)
@document_response(NotificationList)
async def list_notifications(query_args: NotificationQuery) -> dict[str, Any]:
    """The caller's notifications, newest first (``unread=true``: only unread ones)."""
    user = current_user()
    return await service.list_page(user.id, query_args.limit, query_args.cursor, query_args.unread)


@notifications_blueprint.get("/unread-count")
@require_user
@document_response(UnreadCount)
async def unread_count() -> dict[str, Any]:
    """How many of the caller's notifications are unread (a badge)."""
    return {"unread": await service.unread_count(current_user().id)}


@notifications_blueprint.post("/read-all")
@require_user
@document_response(ReadAll)
async def read_all() -> dict[str, Any]:
    """Mark every unread notification of the caller read."""
    return {"updated": await service.mark_all_read(current_user().id)}


@notifications_blueprint.get("/<notification_id>")
@require_user
@document_response(NotificationOut)
async def get_notification(notification_id: str) -> dict[str, Any]:
    """One of the caller's notifications (another user's is 404)."""
    return (await service.get_own(current_user().id, notification_id)).as_json()


@notifications_blueprint.post("/<notification_id>/read")
@require_user
@document_response(NotificationOut)
async def read_notification(notification_id: str) -> dict[str, Any]:
    """Mark one notification read (idempotent)."""
    return await service.mark_read(current_user().id, notification_id)


@notifications_blueprint.delete("/<notification_id>")
@require_user
async def delete_notification(notification_id: str) -> tuple[str, int]:
    """Delete one notification: 204."""
    await service.delete(current_user().id, notification_id)
    return "", 204
