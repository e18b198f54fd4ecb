"""Domain events: ``emit`` inside a transaction, delivered after the outermost commit.

``await emit("goal.created", user_id, goal_json)`` inside ``async with transaction():``
is buffered; the buffer is delivered when the outermost transaction commits and thrown
away if it (or the savepoint it was emitted in) rolls back. Outside a transaction an
event is delivered at once. Delivery goes to every plugin subscriber whose pattern
matches and to the core's sinks, in emit order, with one system-wide increasing event id.

Ids come from the bus's :class:`EventJournal`. The default, :class:`LocalJournal`, is a
per-process hybrid clock (``max(last + 1, now_ms * 1000)``): on the embedded default
there is one process, and the clock keeps ids above those of earlier runs. The realtime
hub replaces it (``maigie_core.realtime``): in memory, or with Redis one atomic script
that numbers the event from one shared sequence, appends it to the replay log and
publishes it to every process.
"""

from __future__ import annotations

import inspect
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from maigie_core.hookspecs import EventSubscriber

log = logging.getLogger("maigie.events")

EventSink = Callable[["Event"], Awaitable[None]]

# The events emitted inside the current (possibly nested) transaction, or None.
_pending: ContextVar[list[Event] | None] = ContextVar("maigie_pending_events", default=None)


@dataclass(frozen=True, slots=True)
class Event:
    """One domain event. ``channel`` defaults to the owner's ``user:{id}`` channel."""

    name: str
    user_id: str | None
    data: Mapping[str, Any]
    channel: str
    occurred_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    id: int = 0

    def as_message(self) -> dict[str, Any]:
        """The event as the realtime protocol sends it (SPEC §7)."""
        return {
            "type": "event",
            "id": self.id,
            "event": self.name,
            "channel": self.channel,
            "data": dict(self.data),
        }


def _matches(pattern: str, name: str) -> bool:
    if pattern in ("*", name):
        return True
    return pattern.endswith(".*") and name.startswith(pattern[:-1])


class EventJournal(Protocol):
    """Numbers events from the one system-wide sequence (and, in the hub, logs them)."""

    async def record(self, event: Event) -> Event | None:
        """Return ``event`` with its id, or ``None`` when it was deferred: the journal
        then hands it to ``EventBus.deliver`` itself once numbered (Redis outage)."""
        ...


def clock_id(last: int) -> int:
    """The next id of the hybrid clock: above ``last`` and at least ``now_ms * 1000``."""
    return max(last + 1, int(time.time() * 1000) * 1000)


class LocalJournal:
    """This process's sequence; ids carry their time (``id // 1000`` is Unix ms)."""

    def __init__(self) -> None:
        self.last = 0

    def next_id(self) -> int:
        self.last = clock_id(self.last)
        return self.last

    async def record(self, event: Event) -> Event:
        return numbered(event, self.next_id())


def numbered(event: Event, event_id: int) -> Event:
    return Event(event.name, event.user_id, event.data, event.channel, event.occurred_at, event_id)


class EventBus:
    """Delivers events to core sinks and plugin subscribers; its journal numbers them."""

    def __init__(self, subscribers: Iterable[EventSubscriber] = ()) -> None:
        self.subscribers = list(subscribers)
        self.sinks: list[EventSink] = []
        self.journal: EventJournal = LocalJournal()

    def add_sink(self, sink: EventSink) -> None:
        self.sinks.append(sink)

    async def publish(self, events: Iterable[Event]) -> list[Event]:
        """Number and deliver ``events`` in order; returns those numbered now."""
        delivered = []
        for event in events:
            stamped = await self.journal.record(event)
            if stamped is not None:
                await self.deliver(stamped)
                delivered.append(stamped)
        return delivered

    async def deliver(self, event: Event) -> None:
        """Hand a numbered event to the sinks, then to matching plugin subscribers."""
        for sink in self.sinks:
            try:
                await sink(event)
            except Exception:
                log.exception("event sink failed on %s", event.name)
        for subscriber in self.subscribers:
            if _matches(subscriber.event, event.name):
                await _call_subscriber(subscriber, event)


async def _call_subscriber(subscriber: EventSubscriber, event: Event) -> None:
    try:
        result = subscriber.handler(event)
        if inspect.isawaitable(result):
            await result
    except Exception:
        log.exception(
            "event subscriber %s failed on %s",
            subscriber.name or getattr(subscriber.handler, "__qualname__", "?"),
            event.name,
        )


def make_event(
    name: str, user_id: str | None, data: Mapping[str, Any], channel: str | None = None
) -> Event:
    if channel is None:
        channel = f"user:{user_id}" if user_id else "public"
    return Event(name=name, user_id=user_id, data=data, channel=channel)


async def emit(
    name: str, user_id: str | None, data: Mapping[str, Any], *, channel: str | None = None
) -> None:
    """Emit a domain event: buffered in a transaction, delivered after its commit."""
    event = make_event(name, user_id, data, channel)
    pending = _pending.get()
    if pending is not None:
        pending.append(event)
        return
    from quart import current_app

    await current_app.extensions["maigie"].events.publish([event])


def begin_buffer() -> tuple[list[Event] | None, list[Event], Any]:
    """Start buffering for a (possibly nested) transaction: (outer, inner, token)."""
    outer = _pending.get()
    inner: list[Event] = []
    return outer, inner, _pending.set(inner)


def end_buffer(token: Any) -> None:
    _pending.reset(token)
