"""The Huey consumer, two ways: inside ``maigie serve`` and as ``maigie worker``.

Both use Huey's own worker and scheduler threads, with three changes: each worker
thread owns a :class:`~maigie_core.tasks.execution.TaskThread` (loop + database), a
periodic task is enqueued once per scheduled minute even when several consumers run
(Redis ``SET NX``; on SQLite only the holder of ``tasks.lock`` in the data directory
schedules), and SIGTERM and SIGINT both stop gracefully (running tasks finish, up to
``TASKS_SHUTDOWN_TIMEOUT``; a second signal stops at once). Each thread notes the task
it runs, so what a killed worker was running is settled by the others
(``maigie_core.tasks.recovery``).

The app itself runs on a *home* loop: the serving loop inside ``maigie serve``, a
dedicated thread in ``maigie worker``. It connects the app's database, runs plugin
startup hooks, writes the heartbeat ``/health`` reads and delivers events from tasks.
"""

from __future__ import annotations

import asyncio
import fcntl
import logging
import os
import signal
import socket
import threading
import uuid
from collections.abc import AsyncGenerator
from pathlib import Path
from typing import IO, Any

from huey.consumer import Consumer, Scheduler, Worker
from quart import Quart

from maigie_core.db import utcnow
from maigie_core.runtime import runtime
from maigie_core.tasks import store
from maigie_core.tasks.execution import HomeLoop, TaskThread
from maigie_core.tasks.queue import TaskQueue
from maigie_core.tasks.recovery import recover_lost_tasks, running_key

log = logging.getLogger("maigie.tasks")

PERIODIC_CLAIM_TTL = 3600


class _Worker(Worker):  # type: ignore[misc]
    """A Huey worker thread with its own TaskThread."""

    def __init__(self, queue: TaskQueue, running_key: str, **kwargs: Any) -> None:
        self.queue = queue
        self.running_key = running_key
        self.context: TaskThread | None = None
        super().__init__(**kwargs)

    def initialize(self) -> None:
        super().initialize()
        self.context = TaskThread(self.queue)
        self.context.running_key = self.running_key
        self.context.open()

    def shutdown(self) -> None:
        try:
            if self.context is not None:
                self.context.close()
        finally:
            super().shutdown()


class _Scheduler(Scheduler):  # type: ignore[misc]
    """Enqueues due scheduled tasks; periodic ones once per minute across consumers."""

    def __init__(self, queue: TaskQueue, **kwargs: Any) -> None:
        self.queue = queue
        super().__init__(**kwargs)

    def enqueue_periodic_tasks(self, now: Any) -> None:
        huey = self.huey
        minute = (now or huey._get_timestamp()).strftime("%Y%m%d%H%M")
        for task in huey.read_periodic(now):
            if self.queue.settings.REDIS_URL:
                key = f"maigie.periodic.{task.name}.{minute}"
                try:
                    if not huey.put_if_empty(key, b"1", ttl=PERIODIC_CLAIM_TTL):
                        continue  # another consumer enqueued it for this minute
                except Exception:
                    log.exception("could not claim periodic task %s", task.name)
                    continue
            log.info("enqueueing periodic task %s", task.name)
            try:
                huey.enqueue(task)
            except Exception:
                log.exception("could not enqueue periodic task %s", task.name)


class TaskConsumer(Consumer):  # type: ignore[misc]
    """Huey's consumer with Maigie's worker and scheduler threads."""

    def __init__(self, queue: TaskQueue, *, install_signals: bool, **options: Any) -> None:
        self.queue = queue
        self.install_signals = install_signals
        self.worker_id = uuid.uuid4()  # its heartbeat row's id
        self._created = 0
        options.setdefault("max_delay", 1.0)  # SQLite is polled: idle wait at most 1 s
        options.setdefault("shutdown_timeout", queue.settings.TASKS_SHUTDOWN_TIMEOUT)
        super().__init__(queue.huey, **options)
        # Both signals are graceful; a second one interrupts (Huey's own behaviour).
        self._signal_actions = {signal.SIGINT: (False, True), signal.SIGTERM: (False, True)}

    def _create_worker(self) -> _Worker:
        index = self._created % self.workers  # a restarted thread takes its slot back
        self._created += 1
        return _Worker(
            self.queue,
            running_key(self.worker_id, index),
            huey=self.huey,
            stop_flag=self.stop_flag,
            default_delay=self.default_delay,
            max_delay=self.max_delay,
            backoff=self.backoff,
            max_tasks=self.max_tasks,
        )

    def _create_scheduler(self) -> _Scheduler:
        return _Scheduler(
            self.queue,
            huey=self.huey,
            stop_flag=self.stop_flag,
            interval=self.scheduler_interval,
            periodic=self.periodic,
        )

    def _set_signal_handlers(self) -> None:
        if self.install_signals:
            super()._set_signal_handlers()

    def stop_and_wait(self) -> None:
        """Set the stop flag and wait for running tasks (up to the shutdown timeout)."""
        self.stop(graceful=True)


def _periodic_lock(queue: TaskQueue) -> IO[str] | None:
    """On SQLite, the one process allowed to schedule periodic tasks holds this lock."""
    path = Path(queue.settings.MAIGIE_DATA_DIR) / "tasks.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = path.open("a")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        return None
    return handle


def _release(lock: IO[str] | None) -> None:
    if lock is not None:
        fcntl.flock(lock, fcntl.LOCK_UN)
        lock.close()


def _worker_row(consumer: TaskConsumer, periodic: bool, embedded: bool) -> store.TaskWorker:
    now = utcnow()
    return store.TaskWorker(
        id=consumer.worker_id,
        created_at=now,
        updated_at=now,
        host=socket.gethostname()[:255],
        pid=os.getpid(),
        threads=consumer.workers,
        periodic=periodic,
        embedded=embedded,
        seen_at=now,
    )


async def _heartbeat_loop(queue: TaskQueue, row: store.TaskWorker, consumer: TaskConsumer) -> None:
    interval = queue.settings.TASKS_HEARTBEAT_INTERVAL
    while True:
        try:
            await store.heartbeat(row)
            await recover_lost_tasks(queue, queue.settings.TASKS_LOST_AFTER)
        except Exception:
            log.exception("task worker heartbeat failed")
        if not consumer.install_signals:  # nobody else watches the threads in serve
            consumer.check_worker_health()
        await asyncio.sleep(interval)


async def _forget(row: store.TaskWorker) -> None:
    try:
        await store.forget_worker(row)
    except Exception:
        log.exception("could not remove the task worker heartbeat")


async def embedded_consumer(app: Quart) -> AsyncGenerator[None, None]:
    """``app.while_serving``: run the consumer inside this process (embedded default)."""
    queue = runtime(app).queue
    if queue is None or not queue.embedded:
        yield
        return
    lock = _periodic_lock(queue)
    if lock is None:  # several serve processes on one data dir: one consumer is enough
        log.info("another process runs the task consumer of this data directory")
        yield
        return
    settings = queue.settings
    queue.home = HomeLoop(asyncio.get_running_loop(), app)
    consumer = TaskConsumer(
        queue,
        install_signals=False,
        workers=settings.TASKS_WORKERS,
        periodic=settings.TASKS_PERIODIC,
    )
    consumer.start()
    row = _worker_row(consumer, settings.TASKS_PERIODIC, embedded=True)
    beat = asyncio.create_task(_heartbeat_loop(queue, row, consumer))
    log.info("task consumer running in-process with %d thread(s)", settings.TASKS_WORKERS)
    try:
        yield
    finally:
        beat.cancel()
        await asyncio.to_thread(consumer.stop_and_wait)
        await _forget(row)
        queue.home = None
        _release(lock)


class _HomeThread(threading.Thread):
    """``maigie worker``'s app loop: startup hooks, heartbeat, event delivery."""

    def __init__(
        self, app: Quart, queue: TaskQueue, consumer: TaskConsumer, periodic: bool
    ) -> None:
        super().__init__(name="maigie-app", daemon=True)
        self.app = app
        self.queue = queue
        self.row = _worker_row(consumer, periodic, embedded=False)
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.error: BaseException | None = None
        self.consumer = consumer
        self._stopping: asyncio.Event | None = None

    def run(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_until_complete(self._main())
        except BaseException as exc:
            self.error = exc
            self.ready.set()
        finally:
            self.loop.close()

    async def _main(self) -> None:
        self._stopping = asyncio.Event()
        await self.app.startup()
        self.queue.home = HomeLoop(self.loop, self.app)
        self.ready.set()
        beat = asyncio.create_task(_heartbeat_loop(self.queue, self.row, self.consumer))
        try:
            await self._stopping.wait()
        finally:
            beat.cancel()
            await _forget(self.row)
            self.queue.home = None
            await self.app.shutdown()

    def stop(self) -> None:
        if self._stopping is not None and not self.loop.is_closed():
            self.loop.call_soon_threadsafe(self._stopping.set)
        self.join(timeout=30)


def run_worker(app: Quart, *, threads: int, periodic: bool) -> None:
    """Run ``maigie worker`` in this (main) thread until SIGTERM/SIGINT."""
    queue = runtime(app).queue
    assert queue is not None
    if queue.immediate:
        raise RuntimeError("TASKS_IMMEDIATE is for unit tests; a worker cannot consume it")
    queue.embedded = False  # this process *is* the consumer
    lock = None
    if periodic and not queue.settings.REDIS_URL:
        lock = _periodic_lock(queue)
        if lock is None:
            log.warning("another consumer schedules periodic tasks of this data directory")
            periodic = False
    consumer = TaskConsumer(queue, install_signals=True, workers=threads, periodic=periodic)
    home = _HomeThread(app, queue, consumer, periodic)
    home.start()
    home.ready.wait()
    if home.error is not None:
        _release(lock)
        raise home.error
    log.info(
        "maigie worker: %d thread(s), periodic %s, queue %s",
        threads,
        "on" if periodic else "off",
        queue.backend,
    )
    try:
        consumer.run()
    finally:
        home.stop()
        _release(lock)
