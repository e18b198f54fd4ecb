"""The app's task queue: one Huey instance built from settings, and every bound task.

* ``REDIS_URL`` set: ``RedisExpireHuey``; its keys carry ``REDIS_KEY_PREFIX``
  (``huey.redis.{prefix}tasks`` is the queue) and results expire after
  ``TASKS_RESULT_TTL`` seconds.
* Otherwise (the embedded default): ``SqliteHuey`` in ``MAIGIE_DATA_DIR/tasks.db``.
* ``TASKS_IMMEDIATE`` (unit tests only): nothing is queued; ``enqueue`` runs the task
  inline on the caller's loop, retries included but without their delay. Runs
  scheduled for later never happen in this mode.

Task arguments must be JSON values: they are stored, shown by ``maigie tasks failed``
and sent again by ``maigie tasks retry``.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from huey import MemoryHuey, RedisExpireHuey, SqliteHuey
from huey.api import Huey, Task, TaskWrapper
from huey.exceptions import TaskException
from huey.utils import Error, normalize_time
from redis import ConnectionPool

from maigie_core.redis_client import sync_options
from maigie_core.tasks import store
from maigie_core.tasks.definitions import TaskDefinition, parse_crontab
from maigie_core.tasks.execution import (
    HomeLoop,
    current_task_thread,
    run_in_temporary_thread,
    settle_failure,
)

if TYPE_CHECKING:
    from quart import Quart

    from maigie_core.settings import Settings

log = logging.getLogger("maigie.tasks")

#: Prefix of every task's name inside Huey's registry (``maigie.<task name>``).
HUEY_MODULE = "maigie"


class TaskFailed(Exception):
    """The task behind an id failed its last attempt; the message is its error."""


class TaskNotFound(LookupError):
    """No task of that name is registered (its plugin is disabled or not installed)."""


@dataclass(frozen=True)
class TaskHandle:
    """What ``enqueue`` returns: the id that finds the task's status and result."""

    id: str
    name: str


def build_huey(settings: Settings) -> Huey:
    """The Huey instance the settings describe (see the module docstring)."""
    common: dict[str, Any] = {
        "results": True,
        "store_none": True,  # a finished task always has a result: its status is knowable
        "store_intermediate_errors": False,  # a result is final, never a retried attempt's
        "utc": True,
    }
    if settings.TASKS_IMMEDIATE:
        return MemoryHuey("maigie", **common)
    if settings.REDIS_URL:
        return RedisExpireHuey(
            f"{settings.REDIS_KEY_PREFIX}tasks",
            connection_pool=ConnectionPool.from_url(settings.REDIS_URL, **sync_options(settings)),
            expire_time=settings.TASKS_RESULT_TTL,
            clean_name=False,
            blocking=True,
            read_timeout=1,
            **common,
        )
    settings.MAIGIE_DATA_DIR.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(
        "maigie", filename=str(settings.MAIGIE_DATA_DIR / "tasks.db"), timeout=15, **common
    )


class TaskQueue:
    """The per-app queue: Huey plus the tasks of every enabled plugin."""

    def __init__(self, app: Quart, settings: Settings, tasks: Mapping[str, TaskDefinition]):
        self.app = app
        self.settings = settings
        self.immediate = settings.TASKS_IMMEDIATE
        self.huey = build_huey(settings)
        self.definitions: dict[str, TaskDefinition] = {}
        self.wrappers: dict[str, TaskWrapper] = {}
        #: Run the consumer inside ``maigie serve`` (no Redis: the queue is local).
        self.embedded = settings.TASKS_EMBEDDED and not settings.REDIS_URL and not self.immediate
        #: Where task events are delivered; set when a consumer starts.
        self.home: HomeLoop | None = None
        for defn in tasks.values():
            self.bind(defn)

    @property
    def backend(self) -> str:
        if self.immediate:
            return "immediate"
        return "redis" if self.settings.REDIS_URL else "sqlite"

    def bind(self, defn: TaskDefinition) -> None:
        """Register ``defn`` with Huey (under ``maigie.<name>``)."""

        def run(*args: Any, task: Task, **kwargs: Any) -> Any:
            ctx = current_task_thread()
            if ctx is not None and ctx.queue is self:
                return ctx.execute(defn, args, kwargs, task)
            return run_in_temporary_thread(self, defn, args, kwargs, task)

        run.__module__ = HUEY_MODULE
        run.__name__ = run.__qualname__ = defn.name
        options: dict[str, Any] = {
            "retries": defn.retries,
            "retry_delay": defn.retry_delay,
            "retry_backoff": defn.retry_backoff,
            "context": True,
            "name": defn.name,
        }
        if defn.schedule is not None:
            check = parse_crontab(defn.schedule, defn.name)
            wrapper = self.huey.periodic_task(check, **options)(run)
        else:
            wrapper = self.huey.task(**options)(run)
        self.definitions[defn.name] = defn
        self.wrappers[defn.name] = wrapper

    def _task(
        self, name: str, args: Sequence[Any], kwargs: Mapping[str, Any], when: Any = None
    ) -> Task:
        wrapper = self.wrappers.get(name)
        if wrapper is None:
            known = ", ".join(sorted(self.wrappers)) or "none"
            raise TaskNotFound(f"no task named {name!r} is registered (registered: {known})")
        try:
            json.dumps([list(args), dict(kwargs)])
        except (TypeError, ValueError) as exc:
            raise TypeError(f"task {name!r}: arguments must be JSON values ({exc})") from None
        eta = None
        if when is not None:
            if isinstance(when, datetime):
                if when.tzinfo is not None:
                    when = when.astimezone(UTC).replace(tzinfo=None)
                eta = when
            else:
                delay = when.total_seconds() if isinstance(when, timedelta) else float(when)
                eta = normalize_time(None, delay, True)
        task: Task = wrapper.task_class(tuple(args), dict(kwargs), eta=eta)
        return task

    # -- enqueueing -------------------------------------------------------------------

    async def enqueue(
        self,
        name: str,
        args: Sequence[Any] = (),
        kwargs: Mapping[str, Any] | None = None,
        *,
        when: datetime | timedelta | float | None = None,
    ) -> TaskHandle:
        """Queue task ``name`` (see ``TaskDefinition.enqueue``)."""
        task = self._task(name, args, kwargs or {}, when)
        if self.immediate:
            if when is None:
                await self._run_inline(task)
            else:
                self.huey.add_schedule(task)  # kept, never run: see the module docstring
        else:
            await asyncio.to_thread(self.huey.enqueue, task)
        return TaskHandle(task.id, name)

    def enqueue_sync(
        self,
        name: str,
        args: Sequence[Any] = (),
        kwargs: Mapping[str, Any] | None = None,
        *,
        when: datetime | timedelta | float | None = None,
    ) -> TaskHandle:
        """``enqueue`` for code without an event loop (sync tasks, the CLI, scripts)."""
        task = self._task(name, args, kwargs or {}, when)
        if self.immediate:
            self.huey.execute(task)  # inline on a temporary task thread; delays never run
        else:
            self.huey.enqueue(task)
        return TaskHandle(task.id, name)

    async def _run_inline(self, task: Task) -> None:
        """Immediate mode: run on the caller's loop and database, retrying at once."""
        defn = self.definitions[task.name]
        while True:
            try:
                value = defn.func(*task.args, **task.kwargs)
                if inspect.isawaitable(value):
                    value = await value
            except Exception as error:
                final, attempts = settle_failure(defn, task, error)
                if not final:
                    task.retries -= 1
                    log.info("task %s (%s) failed, retrying: %r", task.name, task.id, error)
                    continue
                log.exception("task %s (%s) failed", task.name, task.id)
                try:
                    await store.record_failure(
                        task.name, task.id, task.args, task.kwargs, error, attempts
                    )
                except Exception:
                    log.exception("could not record the failure of task %s", task.name)
                self.huey.put_result(task.id, Error(self.huey.build_error_result(task, error)))
                return
            self.huey.put_result(task.id, value)
            return

    # -- status, results, revocation ---------------------------------------------------

    def status(self, task_id: str) -> str:
        """``complete``, ``failed``, ``revoked`` or ``pending``.

        ``pending`` covers queued, scheduled, running and waiting for a retry: Huey does
        not record a start.
        Results (hence ``complete``/``failed``) are kept ``TASKS_RESULT_TTL`` on Redis.
        """
        raw = self.huey.storage.peek_data(task_id)
        if isinstance(raw, bytes | memoryview):
            value = self.huey.serializer.deserialize(bytes(raw))
            return "failed" if isinstance(value, Error) else "complete"
        if self.huey.is_revoked(task_id):
            return "revoked"
        return "pending"

    def result(self, task_id: str, timeout: float | None = None) -> Any:
        """The task's return value (kept, not consumed); ``None`` if not finished.

        ``timeout`` waits up to that many seconds (``TimeoutError`` after). A failed task
        raises :class:`TaskFailed` with its error.
        """
        from huey.exceptions import ResultTimeout

        try:
            return self.huey.result(
                task_id,
                blocking=timeout is not None,
                timeout=timeout,
                preserve=True,
                max_delay=0.2,
            )
        except ResultTimeout:
            raise TimeoutError(f"task {task_id} has no result after {timeout}s") from None
        except TaskException as exc:
            raise TaskFailed(exc.metadata.get("error") or str(exc)) from None

    def revoke(self, task_id: str) -> None:
        """Do not run task ``task_id`` if it has not started (no effect once it runs)."""
        self.huey.revoke_by_id(task_id, revoke_once=True)

    def depth(self) -> tuple[int, int]:
        """(queued, scheduled) task counts."""
        return self.huey.pending_count(), self.huey.scheduled_count()


def current_queue() -> TaskQueue:
    """The task queue of the current app (or task thread)."""
    from maigie_core.runtime import runtime

    queue = runtime().queue
    if queue is None:
        raise RuntimeError("this app has no task queue")
    return queue
