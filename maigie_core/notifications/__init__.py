"""Notifications: a core service any plugin raises for a user.

``await notify(user_id, kind, title, body, data)`` stores the notification, emits
``notification.created`` (delivered after commit to the user's sockets and event
subscribers) and hands it to the push provider (mobile; none offline, see ``push.py``).
Clients list them with ``GET /api/v1/notifications`` and mark them read.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from quart import Quart

from maigie_core.events import Event
from maigie_core.hookspecs import EventSubscriber, hookimpl
from maigie_core.notifications.push import NoPush, PushProvider, load_push_provider
from maigie_core.notifications.service import notify
from maigie_core.runtime import Runtime

__all__ = ["NoPush", "PushProvider", "install_notifications", "notify"]

EXTENSION = "maigie.notifications"


class _CoreNotificationHooks:
    """The core's own implementations of the account hooks (deletion and export)."""

    @hookimpl
    async def delete_user_data(self, user_id: str) -> None:
        from maigie_core.notifications.service import delete_all

        await delete_all(user_id)

    @hookimpl
    async def export_user_data(self, user_id: str) -> Mapping[str, Any]:
        from maigie_core.notifications.service import export

        return {"notifications": await export(user_id)}


def install_notifications(app: Quart, rt: Runtime) -> PushProvider:
    """Serve ``/api/v1/notifications``, push new ones to the provider, join account hooks."""
    from maigie_core.notifications.routes import notifications_blueprint

    provider = load_push_provider(rt.settings)
    app.extensions[EXTENSION] = provider
    app.register_blueprint(notifications_blueprint)
    rt.plugins.pm.register(_CoreNotificationHooks(), name="core.notifications")

    async def push(event: Event) -> None:
        if event.user_id:
            await provider.push(event.user_id, event.data)

    rt.events.subscribers.append(EventSubscriber("notification.created", push, "core.push"))
    return provider
