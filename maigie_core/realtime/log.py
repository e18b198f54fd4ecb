"""The bounded replay log kept in this process's memory, per channel.

Each channel keeps its last ``per_channel`` events and all channels together at most
``total`` (the oldest go first). Every channel knows its *floor*: all of its events with
an id above the floor are still here. A channel that empties is forgotten, and its
floor raises the floor of every channel not tracked. ``resume`` is exact when the
client's ``last_event_id`` is at or above the floor of each channel it asks for;
otherwise the answer is "too old, refetch". With ``max_age`` (``REALTIME_LOG_TTL``),
events older than that many seconds are dropped too (an event id // 1000 is its Unix
time in ms), so no process keeps users' events longer than the retention setting.
"""

from __future__ import annotations

import heapq
import time
from collections import deque
from dataclasses import dataclass, field

Entry = tuple[int, str]  # (event id, the event message as sent)


@dataclass(slots=True)
class _ChannelLog:
    floor: int
    entries: deque[Entry] = field(default_factory=deque)


class Replay:
    """The events a resume sends, or ``too_old`` when some were forgotten."""

    __slots__ = ("entries", "too_old")

    def __init__(self, entries: list[Entry], too_old: bool = False) -> None:
        self.entries = entries
        self.too_old = too_old


class MemoryLog:
    def __init__(self, per_channel: int, total: int, floor: int = 0, max_age: float = 0) -> None:
        self.per_channel = per_channel
        self.total = total
        self.max_age = max_age  # seconds; 0: no age limit
        self.floor = floor  # for channels not tracked
        self.channels: dict[str, _ChannelLog] = {}
        self.order: deque[tuple[int, str]] = deque()  # (id, channel) oldest first

    def __len__(self) -> int:
        return len(self.order)

    def reset(self, floor: int) -> None:
        """Forget everything: the log is complete only above ``floor`` from now on."""
        self.channels.clear()
        self.order.clear()
        self.floor = max(self.floor, floor)

    def append(self, event_id: int, channel: str, text: str) -> None:
        log = self.channels.get(channel)
        if log is None:
            log = self.channels[channel] = _ChannelLog(self.floor)
        if len(log.entries) >= self.per_channel:
            log.floor = log.entries.popleft()[0]
        log.entries.append((event_id, text))
        self.order.append((event_id, channel))
        while len(self.order) > self.total:
            self._evict_oldest()
        self.expire()

    def expire(self, now: float | None = None) -> None:
        """Drop the events older than ``max_age`` seconds at ``now`` (Unix time)."""
        if not self.max_age or not self.order:
            return
        cutoff = int(((time.time() if now is None else now) - self.max_age) * 1000) * 1000
        while self.order and self.order[0][0] < cutoff:
            self._evict_oldest()

    def _evict_oldest(self) -> None:
        event_id, channel = self.order.popleft()
        log = self.channels.get(channel)
        if log is None or not log.entries or log.entries[0][0] != event_id:
            return  # already dropped by the per-channel cap
        log.floor = log.entries.popleft()[0]
        if not log.entries:
            del self.channels[channel]
            self.floor = max(self.floor, log.floor)

    def covers(self, channel: str, last_event_id: int) -> bool:
        log = self.channels.get(channel)
        return last_event_id >= (log.floor if log is not None else self.floor)

    def replay(self, channels: list[str], last_event_id: int) -> Replay:
        """Events after ``last_event_id`` on ``channels``, in id order."""
        self.expire()
        if not all(self.covers(c, last_event_id) for c in channels):
            return Replay([], too_old=True)
        runs = []
        for channel in channels:
            log = self.channels.get(channel)
            if log is not None:
                runs.append([e for e in log.entries if e[0] > last_event_id])
        return Replay(list(heapq.merge(*runs)))
