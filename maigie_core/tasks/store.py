"""What the task system keeps in the database: failed tasks and worker heartbeats.

A task's failure is recorded once, after its last attempt (name, JSON arguments,
exception, traceback, time); ``maigie tasks failed`` lists them, ``maigie tasks retry``
queues them again. Each running consumer refreshes one heartbeat row, which is how
``/health`` knows whether a worker is alive.
"""

from __future__ import annotations

import json
import traceback as tb
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

import peewee

from maigie_core.db import Model, utcnow


class FailedTask(Model):
    """A task that failed its last attempt (migration ``core/0010_task_store``)."""

    task_name = peewee.CharField(max_length=200, index=True)
    task_id = peewee.CharField(max_length=64)
    args = peewee.TextField()
    kwargs = peewee.TextField()
    exception = peewee.TextField()
    traceback = peewee.TextField()
    attempts = peewee.IntegerField()
    failed_at = peewee.DateTimeField(index=True)
    retried_at = peewee.DateTimeField(null=True)
    retry_task_id = peewee.CharField(max_length=64, null=True)

    class Meta:
        table_name = "maigie_failed_task"

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "task_name": self.task_name,
            "task_id": self.task_id,
            "args": json.loads(self.args),
            "kwargs": json.loads(self.kwargs),
            "exception": self.exception,
            "traceback": self.traceback,
            "attempts": self.attempts,
            "failed_at": self.failed_at.isoformat() + "Z",
            "retried_at": self.retried_at.isoformat() + "Z" if self.retried_at else None,
            "retry_task_id": self.retry_task_id,
        }


class TaskWorker(Model):
    """One running consumer (a ``maigie worker`` process or the one inside serve)."""

    host = peewee.CharField(max_length=255)
    pid = peewee.IntegerField()
    threads = peewee.IntegerField()
    periodic = peewee.BooleanField()
    embedded = peewee.BooleanField()
    seen_at = peewee.DateTimeField(index=True)

    class Meta:
        table_name = "maigie_task_worker"


async def record_failure(
    task_name: str,
    task_id: str,
    args: Sequence[Any],
    kwargs: Mapping[str, Any],
    error: BaseException,
    attempts: int,
) -> FailedTask:
    text = "".join(tb.format_exception(type(error), error, error.__traceback__))
    record: FailedTask = await FailedTask.aio_create(
        task_name=task_name,
        task_id=task_id,
        args=json.dumps(list(args), default=str),
        kwargs=json.dumps(dict(kwargs), default=str),
        exception=f"{type(error).__name__}: {error}"[:2000],
        traceback=text[-20_000:],
        attempts=attempts,
        failed_at=utcnow(),
    )
    return record


async def failed_tasks(include_retried: bool = False, limit: int = 100) -> list[FailedTask]:
    """Most recent first; by default only those not retried yet."""
    query = FailedTask.select().order_by(FailedTask.failed_at.desc()).limit(limit)
    if not include_retried:
        query = query.where(FailedTask.retried_at.is_null())
    rows: list[FailedTask] = list(await query.aio_execute())
    return rows


async def find_failed(id_or_prefix: str) -> FailedTask:
    """The failed task whose id is (or uniquely starts with) ``id_or_prefix``."""
    wanted = id_or_prefix.strip().lower()
    if len(wanted) < 4:
        raise LookupError("give at least 4 characters of the failed task's id")
    rows = await FailedTask.select().order_by(FailedTask.failed_at.desc()).aio_execute()
    matches: list[FailedTask] = [r for r in rows if str(r.id).startswith(wanted)]
    if not matches:
        raise LookupError(f"no failed task with id {id_or_prefix!r}")
    if len(matches) > 1:
        raise LookupError(f"{id_or_prefix!r} matches {len(matches)} failed tasks; give more")
    return matches[0]


async def mark_retried(record: FailedTask, retry_task_id: str) -> None:
    record.retried_at = utcnow()
    record.retry_task_id = retry_task_id
    record.updated_at = utcnow()
    await record.aio_save()


async def heartbeat(worker: TaskWorker) -> None:
    """Insert or refresh ``worker``'s heartbeat row."""
    now = utcnow()
    await (
        TaskWorker.insert(
            id=worker.id,
            created_at=worker.created_at,
            updated_at=now,
            host=worker.host,
            pid=worker.pid,
            threads=worker.threads,
            periodic=worker.periodic,
            embedded=worker.embedded,
            seen_at=now,
        )
        .on_conflict(conflict_target=[TaskWorker.id], update={TaskWorker.seen_at: now})
        .aio_execute()
    )


async def forget_worker(worker: TaskWorker) -> None:
    await TaskWorker.delete().where(TaskWorker.id == worker.id).aio_execute()


async def silent_workers(max_age: float) -> list[TaskWorker]:
    """Consumers whose last heartbeat is older than ``max_age`` seconds (dead, most likely)."""
    since = utcnow() - timedelta(seconds=max_age)
    query = TaskWorker.select().where(TaskWorker.seen_at < since)
    rows: list[TaskWorker] = list(await query.aio_execute())
    return rows


async def live_workers(max_age: float) -> list[TaskWorker]:
    """Consumers whose heartbeat is younger than ``max_age`` seconds."""
    since = utcnow() - timedelta(seconds=max_age)
    query = TaskWorker.select().where(TaskWorker.seen_at >= since)
    rows: list[TaskWorker] = list(await query.aio_execute())
    return rows
