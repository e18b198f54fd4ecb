"""The hub of one process: who is connected, to which channels, and fan-out to them.

Events reach :meth:`Hub.deliver` from the backplane (in memory: at once; with Redis:
from the pub/sub listener, in id order) and are appended to the in-memory replay log
and pushed into the send queue of every socket on the channel. The hub also runs the
heartbeat (ping, close the silent with 4408), closes sockets whose session ended or
whose user was deactivated, and closes everything with 1001 on shutdown.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import uuid
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from maigie_core.events import clock_id
from maigie_core.realtime.connection import Connection
from maigie_core.realtime.log import MemoryLog, Replay
from maigie_core.realtime.protocol import (
    BROADCAST_CHANNEL,
    CLOSE_GOING_AWAY,
    CLOSE_HEARTBEAT_TIMEOUT,
    CLOSE_UNAUTHENTICATED,
    dumps,
)
from maigie_core.settings import Settings

if TYPE_CHECKING:
    from maigie_core.realtime.backplane import Backplane

log = logging.getLogger("maigie.realtime")

#: Events the hub itself acts on: the user's session or account is gone.
SESSION_EVENTS = ("auth.session_ended", "account.deleted")
_NAME_AT = len('"event":"')


def event_name(frame: str) -> str:
    """The ``event`` of an event frame, without parsing its data."""
    start = frame.find('"event":"')
    if start < 0:
        return ""
    start += _NAME_AT
    return frame[start : frame.find('"', start)]


class Hub:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.process_id = uuid.uuid4().hex[:12]
        self.connections: dict[str, Connection] = {}
        self.by_user: dict[str, set[Connection]] = {}
        self.by_channel: dict[str, set[Connection]] = {}
        # Complete above the first id this process could have seen; Redis lowers nothing.
        self.log = MemoryLog(
            settings.REALTIME_LOG_SIZE,
            settings.REALTIME_LOG_MEMORY_EVENTS,
            clock_id(0),
            max_age=settings.REALTIME_LOG_TTL,
        )
        self.backplane: Backplane | None = None
        self.user_checker: Any = None  # async (connections) -> None, see sessions.py
        self.delivered = 0
        self._tasks: list[asyncio.Task[Any]] = []
        self.stopping = False
        self._empty = asyncio.Event()

    # -- registry --------------------------------------------------------------------

    def add(self, conn: Connection) -> None:
        self.connections[conn.id] = conn
        self.by_user.setdefault(conn.user.id, set()).add(conn)
        self.subscribe(conn, f"user:{conn.user.id}")

    def remove(self, conn: Connection) -> None:
        if self.connections.pop(conn.id, None) is None:
            return
        for channel in list(conn.channels):
            self.unsubscribe(conn, channel)
        users = self.by_user.get(conn.user.id)
        if users is not None:
            users.discard(conn)
            if not users:
                del self.by_user[conn.user.id]
        if not self.connections:
            self._empty.set()

    def subscribe(self, conn: Connection, channel: str) -> None:
        conn.channels.add(channel)
        self.by_channel.setdefault(channel, set()).add(conn)

    def unsubscribe(self, conn: Connection, channel: str) -> None:
        conn.channels.discard(channel)
        members = self.by_channel.get(channel)
        if members is not None:
            members.discard(conn)
            if not members:
                del self.by_channel[channel]

    # -- delivery --------------------------------------------------------------------

    def deliver(self, event_id: int, channel: str, frame: str) -> None:
        """Fan an event out to this process's sockets (``event_id`` 0: transient)."""
        if event_id:
            self.log.append(event_id, channel, frame)
            name = event_name(frame)
            if name in SESSION_EVENTS:
                self._session_event(name, channel, frame)
        if channel == BROADCAST_CHANNEL:
            targets: Iterable[Connection] = list(self.connections.values())
        else:
            targets = self.by_channel.get(channel, ())
        for conn in targets:
            conn.push_event(event_id, frame)
            self.delivered += 1

    def _session_event(self, name: str, channel: str, frame: str) -> None:
        if not channel.startswith("user:"):
            return
        user_id = channel[5:]
        if name == "account.deleted":
            self.close_user(user_id, "SESSION_ENDED", "The account was deleted")
            return
        try:
            session_id = str(json.loads(frame)["data"]["id"])
        except (ValueError, KeyError, TypeError):
            return
        for conn in list(self.by_user.get(user_id, ())):
            if conn.session_id == session_id:
                conn.close(CLOSE_UNAUTHENTICATED, "SESSION_ENDED", "You signed out")

    def close_user(self, user_id: str, code: str, message: str) -> None:
        for conn in list(self.by_user.get(user_id, ())):
            conn.close(CLOSE_UNAUTHENTICATED, code, message)

    def notify_lost(self) -> None:
        """Live events were lost (the backplane could not catch up): tell every socket."""
        frame = dumps(
            {
                "type": "error",
                "code": "EVENTS_LOST",
                "message": "Some live events could not be delivered; refetch your data",
            }
        )
        for conn in self.connections.values():
            conn.push(frame)

    async def resume(
        self, conn: Connection, last_event_id: int, channels: list[str] | None = None
    ) -> Replay:
        """Replay what ``conn`` missed after ``last_event_id`` on ``channels`` (default:
        all of its channels); live events are held meanwhile and follow in order."""
        if conn.holding is None:
            conn.holding = []
        if channels is None:
            channels = sorted(conn.channels | {BROADCAST_CHANNEL})
        try:
            assert self.backplane is not None
            replay = await self.backplane.replay(channels, last_event_id)
        except Exception:
            log.exception("resume failed")
            replay = Replay([], too_old=True)
        if len(replay.entries) > 2 * max(conn.queue_limit, self.settings.REALTIME_LOG_SIZE):
            replay.too_old = True  # a flood no client should take over a socket: refetch
        if replay.too_old:
            replay.entries = []
        count = conn.finish_replay(replay.entries)
        if not replay.too_old:
            last = max([last_event_id, conn.last_event_id])
            conn.send(
                {"type": "resume", "status": "completed", "replayed": count, "last_event_id": last}
            )
        return replay

    # -- lifecycle -------------------------------------------------------------------

    async def start(self) -> None:
        self.stopping = False
        if self.backplane is not None:
            await self.backplane.start()
        self._tasks = [
            asyncio.create_task(self._heartbeat(), name="maigie-realtime-heartbeat"),
            asyncio.create_task(self._revalidate(), name="maigie-realtime-revalidate"),
        ]

    async def stop(self, grace: float = 5.0) -> None:
        """Close every socket with 1001 (queued frames first), then stop the backplane."""
        await self.close_all(grace)
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks = []
        if self.backplane is not None:
            await self.backplane.stop()

    async def close_all(self, grace: float = 5.0) -> None:
        """Close every socket with 1001; wait up to ``grace`` seconds for them to go."""
        self.stopping = True
        for conn in list(self.connections.values()):
            conn.close(CLOSE_GOING_AWAY, "SERVER_SHUTDOWN", "The server is restarting", flush=True)
        if self.connections:
            self._empty.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._empty.wait(), grace)

    async def _heartbeat(self) -> None:
        interval = self.settings.WEBSOCKET_HEARTBEAT_INTERVAL
        timeout = self.settings.WEBSOCKET_HEARTBEAT_TIMEOUT
        tick = max(min(interval, timeout) / 4, 0.02)
        next_ping = time.monotonic() + interval
        ping = dumps({"type": "heartbeat", "status": "ping"})
        while True:
            await asyncio.sleep(tick)
            now = time.monotonic()
            for conn in list(self.connections.values()):
                if now - conn.last_seen > timeout:
                    conn.close(CLOSE_HEARTBEAT_TIMEOUT, "HEARTBEAT_TIMEOUT", "No heartbeat")
            if now >= next_ping:
                next_ping = now + interval
                for conn in self.connections.values():
                    conn.push(ping)
            if self.backplane is not None:
                with contextlib.suppress(Exception):
                    await self.backplane.tick()

    async def _revalidate(self) -> None:
        while True:
            await asyncio.sleep(self.settings.REALTIME_REVALIDATE_INTERVAL)
            if self.user_checker is not None and self.connections:
                try:
                    await self.user_checker(list(self.connections.values()))
                except Exception:
                    log.exception("re-checking the sockets' sessions failed")

    def revalidate_user(self, user_id: str) -> None:
        """Re-check one user's sockets soon (their account changed somewhere)."""
        conns = list(self.by_user.get(user_id, ()))
        if conns and self.user_checker is not None:
            task = asyncio.create_task(self.user_checker(conns))
            task.add_done_callback(_log_failure)

    def stats(self) -> dict[str, Any]:
        return {
            "process": self.process_id,
            "connections": len(self.connections),
            "users": len(self.by_user),
            "channels": len(self.by_channel),
            "logged_events": len(self.log),
            "delivered": self.delivered,
        }


def _log_failure(task: asyncio.Task[Any]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("re-checking a user's sockets failed: %s", task.exception())
