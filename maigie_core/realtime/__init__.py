"""Realtime: the WebSocket hub, the event journal, and what plugins push through them.

Domain events (``emit``) reach sockets by themselves: the hub is the event bus's
journal. Plugins that want to push something else use::

    from maigie_core.realtime import send_to_user, send_to_channel, broadcast

    await send_to_user(user_id, "ai.token", {"text": "Hel"}, transient=True)

A durable push (the default) is an event like any other: numbered, kept for
``resume``, seen by event subscribers, and buffered by a surrounding ``transaction()``.
A ``transient=True`` push goes out at once with ``"id": null`` and is never replayed
(streamed AI tokens, typing indicators).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from quart import Quart, current_app

from maigie_core.auth.state import EXTENSION as AUTH_EXTENSION
from maigie_core.events import emit
from maigie_core.openapi import component_schemas
from maigie_core.realtime.backplane import MemoryBackplane, transient_frame
from maigie_core.realtime.endpoint import EXTENSION, realtime_asgi
from maigie_core.realtime.hub import Hub
from maigie_core.realtime.hypercorn_ws import configure as configure_hypercorn
from maigie_core.realtime.protocol import BROADCAST_CHANNEL, SCHEMA_MODELS
from maigie_core.realtime.sessions import close_invalid
from maigie_core.runtime import HealthCheck, Runtime

__all__ = [
    "Hub",
    "broadcast",
    "graceful_shutdown",
    "install_realtime",
    "realtime_hub",
    "send_to_channel",
    "send_to_user",
]


def realtime_hub(app: Quart | None = None) -> Hub:
    """The hub of ``app`` (default: the current app)."""
    hub: Hub = (app or current_app).extensions[EXTENSION]
    return hub


async def send_to_channel(
    channel: str, event: str, data: Mapping[str, Any], *, transient: bool = False
) -> None:
    """Push ``event`` to every socket subscribed to ``channel``, on every process."""
    if transient:
        hub = realtime_hub()
        assert hub.backplane is not None
        await hub.backplane.send_transient(channel, transient_frame(event, channel, dict(data)))
        return
    user_id = channel[5:] if channel.startswith("user:") else None
    await emit(event, user_id, data, channel=channel)


async def send_to_user(
    user_id: str, event: str, data: Mapping[str, Any], *, transient: bool = False
) -> None:
    """Push ``event`` to every socket of ``user_id`` (channel ``user:{id}``)."""
    await send_to_channel(f"user:{user_id}", event, data, transient=transient)


async def broadcast(event: str, data: Mapping[str, Any], *, transient: bool = False) -> None:
    """Push ``event`` to every connected socket (channel ``broadcast``)."""
    await send_to_channel(BROADCAST_CHANNEL, event, data, transient=transient)


def graceful_shutdown(app: Quart, trigger: Callable[[], Awaitable[Any]]) -> Callable[[], Any]:
    """Wrap a hypercorn ``shutdown_trigger``: once it fires, close sockets with 1001.

    hypercorn keeps WebSockets open through its graceful timeout and only then runs the
    app's shutdown; closing them here first lets clients reconnect elsewhere at once.
    """

    async def wait() -> None:
        await trigger()
        hub = app.extensions.get(EXTENSION)
        if hub is not None:
            await hub.close_all()

    return wait


def install_realtime(app: Quart, rt: Runtime) -> Hub:
    """Build the hub, make it the event journal, serve the socket, report in ``/health``."""
    configure_hypercorn(rt.settings.REALTIME_COMPRESSION, rt.settings.REALTIME_MAX_MESSAGE_BYTES)
    hub = Hub(rt.settings)
    hub.user_checker = close_invalid
    auth = app.extensions.get(AUTH_EXTENSION)
    if auth is not None:  # deactivated, deleted, signed out everywhere: close at once
        auth.invalidation.listeners.append(hub.revalidate_user)
    if rt.redis is not None:
        from maigie_core.realtime.redis_backplane import RedisBackplane

        channel = auth.invalidation.channel if auth is not None else None
        hub.backplane = RedisBackplane(hub, rt.redis, rt.settings, rt.events, channel)
    else:
        hub.backplane = MemoryBackplane(hub)
    rt.events.journal = hub.backplane
    app.extensions[EXTENSION] = hub
    app.asgi_app = realtime_asgi(app, app.asgi_app)  # type: ignore[method-assign]
    rt.extra_schemas.update(component_schemas(*SCHEMA_MODELS))

    async def realtime_check() -> dict[str, Any]:
        assert hub.backplane is not None
        return {**hub.stats(), **await hub.backplane.status()}

    rt.health_checks.append(HealthCheck("realtime", realtime_check, required=False))

    @app.while_serving
    async def realtime_lifespan() -> Any:
        await hub.start()
        yield
        await hub.stop()

    return hub
