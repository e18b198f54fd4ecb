"""How events travel between processes. In memory (the embedded default) or Redis.

A backplane is also the event bus's journal (``maigie_core.events.EventJournal``): it
numbers each event from the one system-wide sequence, keeps it for ``resume`` and gets
it to the hub of every process, in id order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from maigie_core.events import Event, LocalJournal, numbered
from maigie_core.realtime.log import Replay
from maigie_core.realtime.protocol import dumps

if TYPE_CHECKING:
    from maigie_core.realtime.hub import Hub


def frame_tail(event: Event) -> str:
    """The event frame after its id: ``,"event":..,"channel":..,"data":{..}}``."""
    body = dumps({"event": event.name, "channel": event.channel, "data": dict(event.data)})
    return "," + body[1:]


def event_frame(event_id: int, tail: str) -> str:
    return '{"type":"event","id":' + str(event_id) + tail


def transient_frame(name: str, channel: str, data: Any) -> str:
    return dumps({"type": "event", "id": None, "event": name, "channel": channel, "data": data})


@dataclass(frozen=True)
class Lag:
    """How far this process (with several workers, the slowest) reads behind the
    system-wide sequence (for ``/metrics``)."""

    sequence: int  # the newest event id numbered
    read: int  # the newest event id this process has read
    seconds: float  # how long the oldest event it has not read yet has waited (0: none)


class Backplane(Protocol):
    name: str

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def record(self, event: Event) -> Event | None: ...

    async def send_transient(self, channel: str, frame: str) -> None: ...

    async def replay(self, channels: list[str], last_event_id: int) -> Replay: ...

    async def tick(self) -> None: ...

    async def status(self) -> dict[str, Any]: ...

    async def lag(self) -> Lag | None: ...


class MemoryBackplane:
    """One process: the hub's own log is the replay log; delivery is immediate.

    Numbering, logging and fan-out happen without an ``await`` in between, so events
    reach every socket in id order even with concurrent emitters.
    """

    name = "memory"

    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self.sequence = LocalJournal()
        self.sequence.last = hub.log.floor

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def record(self, event: Event) -> Event:
        stamped = numbered(event, self.sequence.next_id())
        self.hub.deliver(stamped.id, stamped.channel, event_frame(stamped.id, frame_tail(event)))
        return stamped

    async def send_transient(self, channel: str, frame: str) -> None:
        self.hub.deliver(0, channel, frame)

    async def replay(self, channels: list[str], last_event_id: int) -> Replay:
        return self.hub.log.replay(channels, last_event_id)

    async def tick(self) -> None:
        return None

    async def status(self) -> dict[str, Any]:
        return {"backplane": self.name}

    async def lag(self) -> None:
        return None  # numbered and delivered in one step: never behind
