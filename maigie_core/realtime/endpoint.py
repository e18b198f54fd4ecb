"""``GET /api/v1/realtime/ws``: authenticate, then read client messages and write frames.

The socket is served straight over ASGI (:func:`realtime_asgi` wraps the app's
``asgi_app``, the middleware pattern Quart documents), not through Quart's websocket
route: Quart adds two tasks and a queue per socket and yields to the event loop on
every ``send``, which a fan-out to 1,000 sockets pays 1,000 times. Each socket runs two
loops: the handler writes what the hub queued (so fan-out never waits for one slow
client), a reader task parses and answers client messages. Nothing a client sends can
crash either: bad frames get an ``error`` message, a flood closes with 4429. A message
over ``REALTIME_MAX_MESSAGE_BYTES`` never reaches it: hypercorn's stream closes 1009
(:mod:`maigie_core.realtime.hypercorn_ws`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qs

from quart import Quart

from maigie_core.auth.guards import authenticate_token
from maigie_core.errors import MaigieError
from maigie_core.realtime.connection import Close, Connection
from maigie_core.realtime.hub import Hub
from maigie_core.realtime.protocol import (
    BROADCAST_CHANNEL,
    CLOSE_FLOODING,
    CLOSE_GOING_AWAY,
    CLOSE_UNAUTHENTICATED,
    ProtocolError,
    RealtimeAuth,
    RealtimeHeartbeat,
    RealtimeResume,
    RealtimeSubscribe,
    RealtimeUnsubscribe,
    dumps,
    parse_client_frame,
)
from maigie_core.runtime import channel_allowed

log = logging.getLogger("maigie.realtime")

PATH = "/api/v1/realtime/ws"
EXTENSION = "maigie.realtime"
CLOSE_WAIT = 5.0  # seconds a closed socket waits for the client's closing reply

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


class Disconnected(Exception):
    """The client went away."""


class Socket:
    """One WebSocket as ASGI gives it: accept, receive, send text, close."""

    __slots__ = ("_receive", "_send", "args", "repeated")

    def __init__(self, scope: Scope, receive: Receive, send: Send) -> None:
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        self.args = {key: values[0] for key, values in query.items()}
        # a repeated parameter is refused, as on every HTTP route (maigie_core/querystring.py)
        self.repeated = next((key for key, values in query.items() if len(values) > 1), None)
        self._receive = receive
        self._send = send

    async def accept(self) -> None:
        await self._send({"type": "websocket.accept"})

    async def receive(self) -> str | bytes:
        while True:
            message = await self._receive()
            kind = message["type"]
            if kind == "websocket.receive":
                text = message.get("text")
                return text if text is not None else bytes(message.get("bytes") or b"")
            if kind != "websocket.connect":  # websocket.disconnect
                raise Disconnected

    async def send(self, text: str) -> None:
        await self._send({"type": "websocket.send", "text": text})

    async def close(self, code: int, reason: str) -> None:
        await self._send({"type": "websocket.close", "code": code, "reason": reason})


def realtime_asgi(app: Quart, inner: Callable[..., Awaitable[None]]) -> Any:
    """``app.asgi_app`` that serves :data:`PATH` WebSockets and passes the rest on."""

    async def asgi_app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket" and scope.get("path") == PATH:
            try:
                async with app.app_context():
                    await realtime_socket(app.extensions[EXTENSION], Socket(scope, receive, send))
            except Exception:  # hypercorn then closes the socket with 1011
                log.exception("realtime socket failed")
            return
        await inner(scope, receive, send)

    return asgi_app


async def _refuse(ws: Socket, code: int, error: str, message: str) -> None:
    with contextlib.suppress(Exception):
        await ws.send(dumps({"type": "error", "code": error, "message": message}))
        await ws.close(code, message[:120])
        await asyncio.wait_for(_drain(ws), CLOSE_WAIT)


async def _drain(ws: Socket) -> None:
    """Read until the client is gone. hypercorn hands a socket's frames (the client's
    closing reply too) to a bounded queue and stops reading while it is full: a socket
    nobody reads never finishes closing."""
    with contextlib.suppress(Disconnected):
        while True:
            await ws.receive()


async def _credentials(hub: Hub, ws: Socket) -> tuple[str, int | None]:
    """(access token, last_event_id to resume from) from the URL or a first ``auth``."""
    if ws.repeated:
        raise ProtocolError("INVALID_MESSAGE", f"{ws.repeated} is given more than once")
    token = ws.args.get("token", "")
    if token:
        raw_last = ws.args.get("last_event_id")
        if raw_last is None:
            return token, None
        if not raw_last.isdigit() or len(raw_last) > 20:
            raise ProtocolError("INVALID_MESSAGE", "last_event_id must be a whole number")
        return token, int(raw_last)
    settings = hub.settings
    try:
        raw = await asyncio.wait_for(ws.receive(), settings.REALTIME_AUTH_TIMEOUT)
    except TimeoutError:
        raise ProtocolError("UNAUTHORIZED", "Authenticate within a few seconds") from None
    try:
        message = parse_client_frame(raw)
    except ProtocolError as exc:
        raise ProtocolError("UNAUTHORIZED", f"Authenticate first ({exc.message})") from None
    if not isinstance(message, RealtimeAuth):
        raise ProtocolError("UNAUTHORIZED", 'The first message must be {"type":"auth"}')
    return message.token, message.last_event_id


async def realtime_socket(hub: Hub, ws: Socket) -> None:
    """The realtime WebSocket (SPEC §7); its messages are ``Realtime*`` in the schemas."""
    await ws.accept()
    if hub.stopping:
        await _refuse(ws, CLOSE_GOING_AWAY, "SERVER_SHUTDOWN", "The server is restarting")
        return
    try:
        token, resume_from = await _credentials(hub, ws)
        record, claims = await authenticate_token(token)
    except Disconnected:
        return
    except ProtocolError as exc:
        await _refuse(ws, CLOSE_UNAUTHENTICATED, exc.code, exc.message)
        return
    except MaigieError as exc:
        await _refuse(ws, CLOSE_UNAUTHENTICATED, "UNAUTHORIZED", exc.message)
        return
    settings = hub.settings
    conn = Connection(
        record.principal, claims.session_id, claims.version, settings.REALTIME_SEND_QUEUE
    )
    if resume_from is not None:
        conn.holding = []  # nothing live before the replay
    hub.add(conn)
    conn.send(
        {
            "type": "connection",
            "connection_id": conn.id,
            "user_id": conn.user.id,
            "heartbeat_interval": settings.WEBSOCKET_HEARTBEAT_INTERVAL,
            "heartbeat_timeout": settings.WEBSOCKET_HEARTBEAT_TIMEOUT,
            "channels": sorted(conn.channels),
        }
    )
    if resume_from is not None:
        await _resume(hub, conn, resume_from)
    reader = asyncio.create_task(_read(hub, conn, ws))
    try:
        await _write(conn, ws)
    finally:
        hub.remove(conn)
        await asyncio.wait({reader}, timeout=CLOSE_WAIT)  # the client's closing reply
        reader.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await reader


async def _write(conn: Connection, ws: Socket) -> None:
    outbox = conn.outbox
    send = ws.send
    while True:
        while outbox:
            item = outbox.popleft()
            if isinstance(item, Close):
                with contextlib.suppress(Exception):
                    if item.frame:
                        await send(item.frame)
                    if item.code:
                        await ws.close(item.code, item.reason)
                return
            await send(item)
        conn.wake.clear()
        await conn.wake.wait()


async def _read(hub: Hub, conn: Connection, ws: Socket) -> None:
    try:
        await _answer(hub, conn, ws)
    except Disconnected:
        conn.gone()
        return
    except Exception:
        log.exception("realtime socket %s failed", conn.id)
        conn.close(1011, "INTERNAL_SERVER_ERROR", "Internal server error")
    await _drain(ws)


async def _answer(hub: Hub, conn: Connection, ws: Socket) -> None:
    """Answer the client's messages until the socket closes."""
    settings = hub.settings
    per_second = settings.REALTIME_MESSAGES_PER_SECOND
    while conn.closing is None:
        raw = await ws.receive()
        count = conn.count_message(time.monotonic(), per_second)
        if count > per_second:
            if count > 2 * per_second:
                conn.close(CLOSE_FLOODING, "RATE_LIMITED", "Too many messages")
                return
            if count == per_second + 1:
                conn.send(
                    {
                        "type": "error",
                        "code": "RATE_LIMITED",
                        "message": f"At most {per_second} messages a second; "
                        "the rest are ignored, twice that closes the socket",
                    }
                )
            continue
        try:
            await _handle(hub, conn, parse_client_frame(raw))
        except ProtocolError as exc:
            conn.send(exc.as_message())


async def _handle(hub: Hub, conn: Connection, message: Any) -> None:
    if isinstance(message, RealtimeHeartbeat):
        if message.status == "ping":
            conn.send({"type": "heartbeat", "status": "pong"})
    elif isinstance(message, RealtimeSubscribe):
        await _subscribe(hub, conn, message)
    elif isinstance(message, RealtimeUnsubscribe):
        hub.unsubscribe(conn, message.channel)
        conn.send({"type": "subscription", "status": "unsubscribed", "channel": message.channel})
    elif isinstance(message, RealtimeResume):
        await _resume(hub, conn, message.last_event_id)
    elif isinstance(message, RealtimeAuth):
        raise ProtocolError("INVALID_MESSAGE", "Already authenticated")


async def _resume(
    hub: Hub, conn: Connection, last_event_id: int, channels: list[str] | None = None
) -> None:
    replay = await hub.resume(conn, last_event_id, channels)
    if replay.too_old:
        conn.send(
            {
                "type": "error",
                "code": "RESUME_TOO_OLD",
                "message": "Events after last_event_id are no longer kept; refetch your data",
                "last_event_id": last_event_id,
            }
        )


async def _subscribe(hub: Hub, conn: Connection, message: RealtimeSubscribe) -> None:
    channel = message.channel
    if channel not in conn.channels:
        if len(conn.channels) >= hub.settings.REALTIME_MAX_SUBSCRIPTIONS:
            raise ProtocolError(
                "TOO_MANY_SUBSCRIPTIONS",
                f"At most {hub.settings.REALTIME_MAX_SUBSCRIPTIONS} channels per socket",
                channel=channel,
            )
        if not await _allowed(conn, channel):
            raise ProtocolError(
                "FORBIDDEN", "You may not subscribe to this channel", channel=channel
            )
        if conn.closing is not None:
            return
        if message.last_event_id is not None and conn.holding is None:
            conn.holding = []  # the replay goes before live events of the channel
        hub.subscribe(conn, channel)
    conn.send({"type": "subscription", "status": "subscribed", "channel": channel})
    if message.last_event_id is not None:
        await _resume(hub, conn, message.last_event_id, [channel])


async def _allowed(conn: Connection, channel: str) -> bool:
    if channel.startswith("user:"):
        return channel == f"user:{conn.user.id}"
    if channel in ("public", BROADCAST_CHANNEL) or channel.startswith("public:"):
        return True
    try:
        return await channel_allowed(channel, conn.user)
    except Exception:
        log.exception("authorize_channel failed for %s", channel)
        return False
