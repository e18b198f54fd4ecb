"""How a consumer thread runs tasks: its own event loop and its own database object.

Huey calls task functions synchronously in its worker threads and refuses coroutines.
Each worker thread therefore owns a :class:`TaskThread`: one event loop, one database
object (its own pool, bound to that loop) that the models use in this thread only
(``bind_thread``), its own Redis client, and a per-thread view of the runtime. An
``async def`` task runs to completion on that loop; a sync task runs in the thread
(its database allows sync queries, safely: the object is not shared).

Events a task emits (``emit``, or a ``transaction()`` committing) are relayed to the
app's *home* loop — the serving loop inside ``maigie serve``, the worker app's loop in
``maigie worker`` — in order, and delivered there to subscribers and the realtime hub,
exactly as if a request had emitted them.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import contextvars
import dataclasses
import inspect
import logging
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from quart import Quart

from maigie_core import events as event_log
from maigie_core.db import Database, bind_thread, open_database
from maigie_core.events import Event
from maigie_core.runtime import _thread_view, runtime
from maigie_core.tasks import store
from maigie_core.tasks.recovery import clear_running, mark_running

if TYPE_CHECKING:
    from huey.api import Task

    from maigie_core.tasks.definitions import TaskDefinition
    from maigie_core.tasks.queue import TaskQueue

log = logging.getLogger("maigie.tasks")

_current = threading.local()


@dataclass(frozen=True)
class HomeLoop:
    """The loop where the app itself runs: events from tasks are delivered there."""

    loop: asyncio.AbstractEventLoop
    app: Quart


def current_task_thread() -> TaskThread | None:
    value: TaskThread | None = getattr(_current, "thread", None)
    return value


def settle_failure(defn: TaskDefinition, task: Task, error: BaseException) -> tuple[bool, int]:
    """(is this the last attempt?, attempts so far); stops retries for unlisted errors."""
    planned = type(task).default_retries
    attempts = max(planned - task.retries, 0) + 1
    if not isinstance(error, defn.retry_on):
        task.retries = 0
    return task.retries == 0, attempts


class _EventRelay(list[Event]):
    """Stands in for the transaction buffer while a task runs: forwards events home.

    ``emit`` outside a transaction appends here, a committing ``transaction()`` extends
    it; each batch goes to the home loop at once, chained so batches arrive in order.
    """

    def __init__(self, owner: TaskThread) -> None:
        super().__init__()
        self.owner = owner
        self.last: concurrent.futures.Future[None] | None = None

    def append(self, event: Event) -> None:
        self._send([event])

    def extend(self, batch: Iterable[Event]) -> None:
        items = list(batch)
        if items:
            self._send(items)

    def _send(self, batch: list[Event]) -> None:
        home = self.owner.queue.home
        if home is None or home.loop.is_closed():
            log.warning("no app loop to deliver %d task event(s) to; dropped", len(batch))
            return
        coro = _deliver(home.app, batch, self.last)
        # A fresh context: the home loop must not inherit this task's relay or app context.
        self.last = contextvars.Context().run(asyncio.run_coroutine_threadsafe, coro, home.loop)

    async def drain(self) -> None:
        if self.last is not None:
            try:
                await asyncio.wrap_future(self.last)
            except Exception:
                log.exception("delivering a task's events failed")


async def _deliver(
    app: Quart, batch: list[Event], previous: concurrent.futures.Future[None] | None
) -> None:
    if previous is not None:
        with contextlib.suppress(Exception):  # logged by the task that waited on it
            await asyncio.wrap_future(previous)
    async with app.app_context():
        await runtime(app).events.publish(batch)


class _RelayedEventBus(event_log.EventBus):
    """``runtime().events`` inside a task thread: publishes on the home loop."""

    def __init__(self, owner: TaskThread) -> None:
        super().__init__()
        self.owner = owner

    async def publish(self, events: Iterable[Event]) -> list[Event]:
        home = self.owner.queue.home
        if home is None:
            raise RuntimeError("task events need the app's loop (is the consumer started?)")
        coro = _deliver(home.app, list(events), None)
        future = contextvars.Context().run(asyncio.run_coroutine_threadsafe, coro, home.loop)
        await asyncio.wrap_future(future)
        return list(events)


class TaskThread:
    """One consumer thread's loop, database and runtime view; see the module docstring."""

    def __init__(self, queue: TaskQueue) -> None:
        self.queue = queue
        self.app = queue.app
        settings = queue.settings
        self.loop = asyncio.new_event_loop()
        self.db: Database = open_database(
            settings.database_url,
            min(settings.DATABASE_POOL_MIN, 1),
            4,
            pool_timeout=settings.DATABASE_POOL_TIMEOUT,
            connect_timeout=settings.DATABASE_CONNECT_TIMEOUT,
            network_timeout=settings.DATABASE_NETWORK_TIMEOUT,
            sqlite_inline_budget=settings.SQLITE_INLINE_BUDGET,
        )
        self.db.set_allow_sync(True)  # this object is used by this thread only
        self.redis: Any = None
        if settings.REDIS_URL:
            from maigie_core.redis_client import async_client

            self.redis = async_client(settings)
        base = runtime(self.app)
        self.view = dataclasses.replace(
            base, db=self.db, redis=self.redis, events=_RelayedEventBus(self)
        )
        self._binding: Any = None
        #: Set on a consumer's threads: where the running task is noted (tasks.recovery).
        self.running_key: str | None = None

    def open(self) -> None:
        """Bind this thread to its own loop, database and runtime view, and connect."""
        asyncio.set_event_loop(self.loop)
        self._binding = bind_thread(self.db)
        self._binding.__enter__()
        _thread_view.runtime = self.view
        _current.thread = self
        self.loop.run_until_complete(self.db.aio_connect())

    def close(self) -> None:
        try:
            self.loop.run_until_complete(self._aclose())
        finally:
            _current.thread = None
            _thread_view.runtime = None
            if self._binding is not None:
                self._binding.__exit__(None, None, None)
            asyncio.set_event_loop(None)
            self.loop.close()

    async def _aclose(self) -> None:
        await self.db.aio_close()
        if self.redis is not None:
            await self.redis.aclose()

    def execute(
        self, defn: TaskDefinition, args: Sequence[Any], kwargs: Mapping[str, Any], task: Task
    ) -> Any:
        key = self.running_key
        if key is None:
            return self.loop.run_until_complete(self._invoke(defn, args, kwargs, task))
        mark_running(self.queue, key, task)  # what a killed worker was running (recovery)
        try:
            return self.loop.run_until_complete(self._invoke(defn, args, kwargs, task))
        finally:
            clear_running(self.queue, key)

    async def _invoke(
        self, defn: TaskDefinition, args: Sequence[Any], kwargs: Mapping[str, Any], task: Task
    ) -> Any:
        relay = _EventRelay(self)
        token = event_log._pending.set(relay)
        try:
            async with self.app.app_context():
                try:
                    value = defn.func(*args, **kwargs)
                    if inspect.isawaitable(value):
                        value = await value
                    return value
                except Exception as error:
                    final, attempts = settle_failure(defn, task, error)
                    if final:
                        await _record(defn.name, task.id, args, kwargs, error, attempts)
                    raise
        finally:
            event_log._pending.reset(token)
            await relay.drain()


async def _record(
    name: str,
    task_id: str,
    args: Sequence[Any],
    kwargs: Mapping[str, Any],
    error: BaseException,
    attempts: int,
) -> None:
    try:
        await store.record_failure(name, task_id, args, kwargs, error, attempts)
    except Exception:  # the task's own error is what matters; never mask it
        log.exception("could not record the failure of task %s (%s)", name, task_id)


def run_in_temporary_thread(
    queue: TaskQueue,
    defn: TaskDefinition,
    args: Sequence[Any],
    kwargs: Mapping[str, Any],
    task: Task,
) -> Any:
    """Run one task on a short-lived TaskThread (a thread that is not a consumer's)."""
    box: dict[str, Any] = {}

    def target() -> None:
        ctx = TaskThread(queue)
        try:
            ctx.open()
            box["value"] = ctx.execute(defn, args, kwargs, task)
        except BaseException as exc:
            box["error"] = exc
        finally:
            ctx.close()

    thread = threading.Thread(target=target, name=f"maigie-task-{defn.name}")
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    return box.get("value")
