"""The Redis backplane: one sequence, a replay log and live fan-out for every process.

Publishing an event is one Lua script, atomic in Redis: take the next id of the shared
sequence (a hybrid clock: ``max(last + 1, redis_now_ms * 1000)``, so ids stay above
earlier ones even if Redis lost its data), append the frame to the channel's stream
(``MAXLEN ~ REALTIME_LOG_SIZE``, expiring ``REALTIME_LOG_TTL`` after its last event)
and to the global catch-up stream, and ``PUBLISH`` it. Every process receives all
events in id order on one pub/sub channel and delivers them to its own sockets.

Outages. While Redis is unreachable, emitted events wait in an in-memory outbox
(bounded) and are published, in order, when it is back. Pub/sub reconnects silently and
drops what was published meanwhile, so on every (re)subscription the listener first
replays the global stream after the last id it saw. If that stream no longer reaches
back that far, the sockets get an ``EVENTS_LOST`` error (refetch). A Redis that lost its
data (restart without persistence) is noticed through its ``since`` key (the first id
it numbered): a ``resume`` from before it is answered ``RESUME_TOO_OLD`` unless this
process's own memory log still covers it.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import json
import logging
import time
from collections import deque
from typing import TYPE_CHECKING, Any

from redis.exceptions import NoScriptError, RedisError, ResponseError

from maigie_core.events import Event, EventBus, numbered
from maigie_core.realtime.backplane import Lag, frame_tail
from maigie_core.realtime.log import Entry, Replay
from maigie_core.realtime.positions import ReadPositions, shared_dir
from maigie_core.realtime.redis_scripts import RECORD, REPLAY
from maigie_core.redis_client import ListeningPubSub
from maigie_core.settings import Settings

if TYPE_CHECKING:
    from redis.asyncio import Redis

    from maigie_core.realtime.hub import Hub

log = logging.getLogger("maigie.realtime")

_UNAVAILABLE = (RedisError, OSError, asyncio.TimeoutError)
_NOT_YET = 2**62  # the memory log's floor until the first subscription


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


class RedisBackplane:
    name = "redis"

    def __init__(
        self,
        hub: Hub,
        redis: Redis,
        settings: Settings,
        bus: EventBus,
        invalidation_channel: str | None = None,
    ) -> None:
        self.hub = hub
        self.redis = redis
        self.settings = settings
        self.bus = bus
        prefix = f"{settings.REDIS_KEY_PREFIX}rt:"
        self.k_seq, self.k_since = prefix + "seq", prefix + "since"
        self.k_log, self.k_channel = prefix + "log", prefix + "log:"
        self.k_pub, self.k_procs = prefix + "events", prefix + "procs"
        self._record_keys = [self.k_seq.encode(), self.k_since.encode(), self.k_log.encode()]
        self.b_channel, self.b_pub = self.k_channel.encode(), self.k_pub.encode()
        s = settings
        limits = (s.REALTIME_LOG_SIZE, s.REALTIME_LOG_GLOBAL, s.REALTIME_LOG_TTL)
        self._record_limits = [str(limit).encode() for limit in limits]
        self.invalidation_channel = invalidation_channel
        self._record = redis.register_script(RECORD)
        self._replay = redis.register_script(REPLAY)
        self.outbox: deque[Event] = deque()
        self._outbox_wake = asyncio.Event()
        self._outbox_empty = asyncio.Event()
        self.last_seen: int | None = None
        # with several worker processes: last_seen, where the others can read it
        self.positions: ReadPositions | None = None
        self.epoch: int | None = None
        self.subscribed = asyncio.Event()
        self._catch_up_needed = False
        self._tasks: list[asyncio.Task[Any]] = []
        # events waiting to be recorded together (one pipelined round trip per loop pass)
        self._batch: list[tuple[Event, asyncio.Future[int]]] = []
        self._sending: set[asyncio.Task[None]] = set()
        self._last_report = 0.0
        self._reported: tuple[int, int] = (-1, -1)
        hub.log.floor = _NOT_YET

    # -- publishing ------------------------------------------------------------------

    def _record_call(self, event: Event) -> tuple[list[bytes], list[bytes]]:
        # As bytes: redis-py's encoder passes bytes through at its first check (a str or
        # an int goes through four), which is a per-event cost on every emit.
        channel = event.channel.encode()
        keys = [*self._record_keys, self.b_channel + channel, self.b_pub]
        args = [frame_tail(event).encode(), channel, json.dumps(event.channel).encode()]
        return keys, args + self._record_limits

    async def _publish(self, event: Event) -> int:
        """Record ``event`` (its id from Redis). Events recorded in the same pass of the
        event loop (concurrent requests) share one pipelined round trip, in order."""
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[int] = loop.create_future()
        self._batch.append((event, waiter))
        if len(self._batch) == 1:
            loop.call_soon(self._send_batch)
        return await waiter

    def _send_batch(self) -> None:
        batch, self._batch = self._batch, []
        task = asyncio.get_running_loop().create_task(self._record_batch(batch))
        self._sending.add(task)
        task.add_done_callback(self._sending.discard)

    async def _record_batch(self, batch: list[tuple[Event, asyncio.Future[int]]]) -> None:
        calls = [self._record_call(event) for event, _ in batch]
        try:
            if len(calls) == 1:
                keys, args = calls[0]
                ids = [await self._record(keys=keys, args=args)]
            else:
                ids = await self._record_pipelined(calls)
        except Exception as exc:  # every waiter sees it (Redis down: the outbox takes them)
            for _, waiter in batch:
                if not waiter.done():
                    waiter.set_exception(exc)
            return
        for (_, waiter), sid in zip(batch, ids, strict=True):
            if not waiter.done():
                waiter.set_result(int(sid))

    async def _record_pipelined(self, calls: list[tuple[list[bytes], list[bytes]]]) -> list[Any]:
        async with self.redis.pipeline(transaction=False) as pipe:
            for keys, args in calls:
                pipe.evalsha(self._record.sha, len(keys), *keys, *args)
            results: list[Any] = await pipe.execute(raise_on_error=False)
        if any(isinstance(r, NoScriptError) for r in results):
            # Redis lost its scripts (a restart): ``Script`` loads it again; same order
            return [await self._record(keys=keys, args=args) for keys, args in calls]
        for result in results:
            if isinstance(result, Exception):
                raise result
        return results

    async def record(self, event: Event) -> Event | None:
        if not self.outbox:
            try:
                return numbered(event, await self._publish(event))
            except _UNAVAILABLE as exc:
                log.warning("Redis unavailable, holding events until it is back: %s", exc)
        if len(self.outbox) >= self.settings.REALTIME_OUTBOX_SIZE:
            dropped = self.outbox.popleft()
            log.error("realtime outbox full: dropped %s", dropped.name)
        self.outbox.append(event)
        self._outbox_empty.clear()
        self._outbox_wake.set()
        return None

    async def _drain_outbox(self) -> None:
        delay, drained = 0.05, 0
        while True:
            await self._outbox_wake.wait()
            while self.outbox:
                event = self.outbox[0]
                try:
                    event_id = await self._publish(event)
                except _UNAVAILABLE:
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, 1.0)
                    continue
                delay = 0.05
                self.outbox.popleft()
                await self.bus.deliver(numbered(event, event_id))
                drained += 1
            if drained:
                log.info("published %d event(s) held while Redis was unavailable", drained)
                drained = 0
            self._outbox_wake.clear()
            self._outbox_empty.set()

    async def send_transient(self, channel: str, frame: str) -> None:
        try:
            await self.redis.publish(self.k_pub, f"0 {json.dumps(channel)}\n{frame}")
        except _UNAVAILABLE as exc:
            log.warning("transient realtime message dropped, Redis unavailable: %s", exc)

    # -- receiving -------------------------------------------------------------------

    def _reconnected(self) -> None:
        self._catch_up_needed = True

    async def _listen(self) -> None:
        channels = [self.k_pub] + ([self.invalidation_channel] if self.invalidation_channel else [])
        delay = 0.1
        while True:
            pubsub = ListeningPubSub(self.redis, on_connect=self._reconnected)
            try:
                await pubsub.subscribe(*channels)
                self._catch_up_needed = True  # the first connection does not call on_connect
                while True:
                    if self._catch_up_needed:
                        self._catch_up_needed = False
                        await self._catch_up()
                        self.subscribed.set()
                        delay = 0.1
                    message = await pubsub.next_message()
                    if self._catch_up_needed:  # reconnected inside get_message
                        self._catch_up_needed = False
                        await self._catch_up()
                    if message is not None:
                        self._handle(message)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.subscribed.clear()
                log.warning("realtime backplane disconnected from Redis: %s", exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 1.0)
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()  # type: ignore[no-untyped-call]

    def _handle(self, message: dict[str, Any]) -> None:
        data: bytes = message["data"]
        if self.invalidation_channel and _text(message["channel"]) == self.invalidation_channel:
            user_id = _text(data)
            for uid in list(self.hub.by_user) if user_id == "*" else [user_id]:
                self.hub.revalidate_user(uid)
            return
        head, _, frame = data.partition(b"\n")
        sid, _, channel_json = head.partition(b" ")
        event_id = int(sid)
        if event_id:
            if self.last_seen is not None and event_id <= self.last_seen:
                return  # already delivered by a catch-up
            self._read_up_to(event_id)
        self.hub.deliver(event_id, json.loads(channel_json), frame.decode())

    def _read_up_to(self, event_id: int) -> None:
        """This process has read every event up to ``event_id`` (others may read it)."""
        self.last_seen = event_id
        if self.positions is not None:
            self.positions.write(event_id)

    async def _catch_up(self) -> None:
        """After (re)subscribing: deliver what was published while we were not listening."""
        since_raw = await self.redis.get(self.k_since)
        since = int(since_raw) if since_raw else None
        if self.last_seen is None:  # first subscription: start from now
            seq = await self.redis.get(self.k_seq)
            start = int(seq) if seq else 0
            self._read_up_to(start)
            self.hub.log.floor = start
            self.epoch = since
            return
        if self.epoch is not None and since != self.epoch:
            log.warning(
                "Redis lost its realtime data (restart without persistence?): events in "
                "flight at that moment may not have reached this process"
            )
        self.epoch = since if since is not None else self.epoch
        try:
            info = await self.redis.xinfo_stream(self.k_log)
        except ResponseError:
            info = None
        if info is not None:
            trimmed = int(_text(info.get("max-deleted-entry-id", "0-0")).split("-")[0])
            if trimmed > self.last_seen:
                log.error("realtime catch-up incomplete: events after %s were trimmed", trimmed)
                self.hub.log.reset(floor=trimmed)
                self.hub.notify_lost()
        caught_up = 0
        while True:
            entries: Any = await self.redis.xrange(
                self.k_log, min=f"({self.last_seen}-0", count=1000
            )
            for entry_id, fields in entries:
                event_id = int(_text(entry_id).split("-")[0])
                if event_id <= self.last_seen:
                    continue
                self.last_seen = event_id
                self.hub.deliver(event_id, _text(fields[b"c"]), _text(fields[b"m"]))
                caught_up += 1
            self._read_up_to(self.last_seen)  # published once for the whole batch
            if len(entries) < 1000:
                log.info("realtime backplane subscribed again; caught up %d event(s)", caught_up)
                return

    async def lag(self) -> Lag | None:
        """Redis's newest id against the newest read by the slowest process of this
        instance (this one alone without ``positions``); None before the first subscription.

        Ids are the publishing time in µs: the first unread entry of the global stream
        tells how long it has waited, against Redis's own clock. The slowest reader's
        oldest unread event is the oldest any of them has not read.
        """
        if self.last_seen is None:
            return None
        read = self.last_seen
        if self.positions is not None:
            read = min([read, *await asyncio.to_thread(self.positions.others)])
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.time()
            pipe.get(self.k_seq)
            pipe.xrange(self.k_log, min=f"({read}-0", count=1)
            (now_s, now_us), sequence, unread = await pipe.execute()
        if not unread:
            return Lag(int(sequence or read), read, 0.0)
        oldest = int(_text(unread[0][0]).split("-")[0])
        return Lag(int(sequence or read), read, max(0.0, now_s + now_us / 1e6 - oldest / 1e6))

    # -- resume ----------------------------------------------------------------------

    async def replay(self, channels: list[str], last_event_id: int) -> Replay:
        local = self.hub.log.replay(channels, last_event_id)
        if not local.too_old or not channels:
            return local
        count = self.settings.REALTIME_LOG_SIZE * 2
        runs: list[list[Entry]] = []
        for channel in channels:
            answer = await self._replay(
                keys=[self.k_channel + channel, self.k_since],
                args=[last_event_id, self.settings.REALTIME_LOG_TTL, count],
            )
            if not answer or int(answer[0]) == 0:
                return Replay([], too_old=True)
            pairs = answer[1:]
            runs.append([(int(pairs[i]), _text(pairs[i + 1])) for i in range(0, len(pairs), 2)])
        return Replay(list(heapq.merge(*runs)))

    # -- lifecycle -------------------------------------------------------------------

    async def start(self) -> None:
        directory = shared_dir()
        if directory is not None:
            self.positions = ReadPositions(directory, self.hub.process_id)
        self._tasks = [
            asyncio.create_task(self._listen(), name="maigie-realtime-listener"),
            asyncio.create_task(self._drain_outbox(), name="maigie-realtime-outbox"),
        ]
        with contextlib.suppress(asyncio.TimeoutError):  # Redis down: serve, keep trying
            await asyncio.wait_for(self.subscribed.wait(), 5.0)

    async def stop(self) -> None:
        if self.outbox:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._outbox_empty.wait(), 2.0)
        if self.outbox:
            log.error("realtime: %d event(s) not published before shutdown", len(self.outbox))
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks = []
        with contextlib.suppress(*_UNAVAILABLE):
            await self.redis.hdel(self.k_procs, self.hub.process_id)
        if self.positions is not None:
            self.positions.close()
            self.positions = None

    async def tick(self, force: bool = False) -> None:
        """Publish this process's counts for ``/health`` when they change (or every 5 s)."""
        now = time.time()
        counts = (len(self.hub.connections), len(self.hub.by_user))
        if not force and counts == self._reported and now - self._last_report < 5.0:
            return
        self._last_report, self._reported = now, counts
        stats = {**self.hub.stats(), "at": now}
        await self.redis.hset(self.k_procs, self.hub.process_id, json.dumps(stats))

    async def status(self) -> dict[str, Any]:
        await self.tick(force=True)
        raw = await self.redis.hgetall(self.k_procs)
        fresh = time.time() - 30
        procs = [json.loads(v) for v in raw.values()]
        live = [p for p in procs if p.get("at", 0) >= fresh]
        return {
            "backplane": self.name,
            "subscribed": self.subscribed.is_set(),
            "outbox": len(self.outbox),
            "cluster": {
                "processes": len(live),
                "connections": sum(p.get("connections", 0) for p in live),
                "users": sum(p.get("users", 0) for p in live),
            },
        }
