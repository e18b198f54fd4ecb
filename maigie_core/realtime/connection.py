"""One authenticated socket: its channels, its send queue, its flood counter.

The hub pushes frames into :attr:`Connection.outbox` without awaiting (fan-out never
waits for a slow client); the socket's writer drains it. A client that stops reading
until ``REALTIME_SEND_QUEUE`` frames pile up is closed (1013) — it resumes later. A
replay may queue more than that (the log bounds it); live frames behind it get the whole
``REALTIME_SEND_QUEUE`` of their own on top of what is left of the replay.
Event ids only go up on one socket: a frame whose id is not above the last one sent
(a replay overlapping live delivery) is dropped.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import deque
from typing import Any

from maigie_core.principal import Principal
from maigie_core.realtime.log import Entry
from maigie_core.realtime.protocol import CLOSE_TRY_AGAIN, dumps

RECENT_IDS = 64


class Close:
    """The last item of an outbox: close the socket with ``code`` after ``frame``
    (``code`` 0: the client is gone, just stop)."""

    __slots__ = ("code", "frame", "reason")

    def __init__(self, code: int, reason: str, frame: str | None) -> None:
        self.code = code
        self.reason = reason
        self.frame = frame


class Connection:
    __slots__ = (
        "channels",
        "closing",
        "holding",
        "id",
        "last_event_id",
        "last_seen",
        "outbox",
        "pushed",
        "queue_limit",
        "recent",
        "replay_end",
        "session_id",
        "token_version",
        "user",
        "wake",
        "window_count",
        "window_start",
    )

    def __init__(
        self, user: Principal, session_id: str, token_version: int, queue_limit: int
    ) -> None:
        self.id = uuid.uuid4().hex
        self.user = user
        self.session_id = session_id
        self.token_version = token_version
        self.channels: set[str] = set()
        self.outbox: deque[str | Close] = deque()
        self.wake = asyncio.Event()
        self.queue_limit = queue_limit
        self.pushed = 0  # frames ever queued; pushed - len(outbox) have been sent
        self.replay_end = 0  # the value of ``pushed`` after the last replayed frame
        self.closing: Close | None = None
        self.last_event_id = 0
        self.holding: list[Entry] | None = None  # live events held while a resume replays
        self.recent: deque[int] | None = None  # ids sent live lately: a replay skips them
        self.last_seen = time.monotonic()
        self.window_start = 0.0
        self.window_count = 0

    def send(self, message: dict[str, Any]) -> None:
        self.push(dumps(message))

    def push(self, frame: str, *, replay: bool = False) -> None:
        """Queue ``frame``; a live frame finding the queue full closes the socket (1013).
        A replay may exceed the queue (it is bounded by the log) but closes nothing."""
        if self.closing is not None:
            return
        if not replay:
            # first in, first out: what is left of a replay is at the head of the outbox
            sent = self.pushed - len(self.outbox)
            if len(self.outbox) - max(self.replay_end - sent, 0) >= self.queue_limit:
                self.close(
                    CLOSE_TRY_AGAIN, "SLOW_CONSUMER", "The client does not read its messages"
                )
                return
        self.outbox.append(frame)
        self.pushed += 1
        if replay:
            self.replay_end = self.pushed
        self.wake.set()

    def push_event(self, event_id: int, frame: str) -> None:
        """A live event (``event_id`` 0: transient, never deduplicated or held)."""
        if event_id:
            if self.holding is not None:
                self.holding.append((event_id, frame))
                return
            if event_id <= self.last_event_id:
                return
            self.last_event_id = event_id
            if self.recent is None:
                self.recent = deque(maxlen=RECENT_IDS)
            self.recent.append(event_id)
        self.push(frame)

    def finish_replay(self, replayed: list[Entry]) -> int:
        """Send ``replayed`` then the events held meanwhile, each once; returns how many
        replayed events were sent (those already sent live on this socket are skipped)."""
        held, self.holding = self.holding or [], None
        sent = set(self.recent or ())
        count = 0
        for event_id, frame in replayed:
            if event_id not in sent:
                sent.add(event_id)
                self.push(frame, replay=True)
                count += 1
            self.last_event_id = max(self.last_event_id, event_id)
        for event_id, frame in held:
            if event_id not in sent:
                sent.add(event_id)
                self.push(frame, replay=True)
            self.last_event_id = max(self.last_event_id, event_id)
        return count

    def close(self, code: int, error_code: str, message: str, *, flush: bool = False) -> None:
        """Send an ``error`` with ``error_code``, then close with ``code``.

        Frames still queued are dropped unless ``flush`` (a graceful shutdown sends
        them first); the client recovers them with ``resume``.
        """
        if self.closing is not None:
            return
        frame = dumps({"type": "error", "code": error_code, "message": message})
        self.closing = Close(code, message[:120], frame)
        if not flush:
            self.outbox.clear()
        self.outbox.append(self.closing)
        self.wake.set()

    def gone(self) -> None:
        """The client disconnected: the writer stops, sending nothing more."""
        if self.closing is None:
            self.closing = Close(0, "", None)
            self.outbox.clear()
            self.outbox.append(self.closing)
            self.wake.set()

    def count_message(self, now: float, per_second: int) -> int:
        """Count a client message in the current one-second window; returns the count."""
        self.last_seen = now
        if now - self.window_start >= 1.0:
            self.window_start = now
            self.window_count = 0
        self.window_count += 1
        return self.window_count
