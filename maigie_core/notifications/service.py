"""Raising, reading and marking notifications; every change is also a realtime event.

Events (channel ``user:{id}``): ``notification.created`` and ``notification.updated``
carry the notification as the REST API returns it, ``notification.deleted`` its
``{id}``, ``notification.all_read`` ``{read_at, count}``.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from typing import Any

from maigie_core.db import transaction, utcnow
from maigie_core.errors import NotFound
from maigie_core.events import emit
from maigie_core.notifications.models import Notification
from maigie_core.pagination import decode_cursor, page
from maigie_core.responses import rfc3339


async def notify(
    user_id: str,
    kind: str,
    title: str,
    body: str = "",
    data: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Raise a notification for ``user_id``: stored, pushed to sockets and mobile push."""
    async with transaction():
        row = await Notification.aio_create(
            user_id=uuid.UUID(str(user_id)),
            kind=kind[:64],
            title=title[:200],
            body=body,
            data=json.dumps(dict(data or {}), default=str),
        )
        payload: dict[str, Any] = row.as_json()
        await emit("notification.created", str(user_id), payload)
    return payload


async def list_page(
    user_id: str, limit: int, cursor: str | None, unread: bool = False
) -> dict[str, Any]:
    """One page, newest first: ``{"items": [...], "next_cursor": ...}``."""
    query = Notification.select().where(Notification.user_id == uuid.UUID(user_id))
    if unread:
        query = query.where(Notification.read_at.is_null())
    after = decode_cursor(cursor)
    if after is not None:
        created_at, row_id = after
        query = query.where(
            (Notification.created_at < created_at)
            | ((Notification.created_at == created_at) & (Notification.id < row_id))
        )
    query = query.order_by(Notification.created_at.desc(), Notification.id.desc())
    rows = list(await query.limit(limit + 1).aio_execute())
    return page(rows, limit, lambda r: (r.created_at, r.id), Notification.as_json)


async def get_own(user_id: str, notification_id: str) -> Notification:
    """The user's notification; another user's (or none) is 404."""
    try:
        wanted = uuid.UUID(notification_id)
    except ValueError:
        raise NotFound("Notification not found") from None
    row: Notification | None = await Notification.aio_get_or_none(
        (Notification.id == wanted) & (Notification.user_id == uuid.UUID(user_id))
    )
    if row is None:
        raise NotFound("Notification not found")
    return row


async def mark_read(user_id: str, notification_id: str) -> dict[str, Any]:
    async with transaction():
        row = await get_own(user_id, notification_id)
        if row.read_at is None:
            now = utcnow()
            await (
                Notification.update(read_at=now, updated_at=now)
                .where(Notification.id == row.id)
                .aio_execute()
            )
            row.read_at = row.updated_at = now
            await emit("notification.updated", user_id, row.as_json())
    return row.as_json()


async def mark_all_read(user_id: str) -> int:
    now = utcnow()
    async with transaction():
        count: int = await (
            Notification.update(read_at=now, updated_at=now)
            .where((Notification.user_id == uuid.UUID(user_id)) & Notification.read_at.is_null())
            .aio_execute()
        )
        if count:
            await emit("notification.all_read", user_id, {"read_at": rfc3339(now), "count": count})
    return count


async def unread_count(user_id: str) -> int:
    count: int = await (
        Notification.select()
        .where((Notification.user_id == uuid.UUID(user_id)) & Notification.read_at.is_null())
        .aio_count()
    )
    return count


async def delete(user_id: str, notification_id: str) -> None:
    async with transaction():
        row = await get_own(user_id, notification_id)
        await Notification.delete().where(Notification.id == row.id).aio_execute()
        await emit("notification.deleted", user_id, {"id": str(row.id)})


async def delete_all(user_id: str) -> None:
    await Notification.delete().where(Notification.user_id == uuid.UUID(user_id)).aio_execute()


async def export(user_id: str) -> list[dict[str, Any]]:
    rows = await (
        Notification.select()
        .where(Notification.user_id == uuid.UUID(user_id))
        .order_by(Notification.created_at)
        .aio_execute()
    )
    return [r.as_json() for r in rows]
