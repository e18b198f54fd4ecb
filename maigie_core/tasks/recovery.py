"""Tasks whose worker died while running them (SIGKILL, OOM, a lost host).

Huey takes a task off the queue before running it, so a killed worker would lose it
silently. Each consumer thread therefore writes the task it is running under its own
key in the queue's storage (``maigie.running.<worker id>.<thread>``) and removes it when
the task ends. Every consumer's heartbeat loop looks for workers whose heartbeat is
older than ``TASKS_LOST_AFTER`` seconds and settles what they were running: a task with
retries left is queued again (same id, one retry fewer), any other one is recorded as
failed (``WorkerLost``) for ``maigie tasks failed`` / ``retry``. Popping a key is
atomic, so with several consumers each lost task is settled once.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from huey.constants import EmptyData
from huey.utils import Error

from maigie_core.tasks import store

if TYPE_CHECKING:
    from maigie_core.tasks.queue import TaskQueue

log = logging.getLogger("maigie.tasks")


class WorkerLost(Exception):
    """The worker running the task stopped before it finished."""


def running_key(worker_id: Any, index: int) -> str:
    return f"maigie.running.{worker_id}.{index}"


def mark_running(queue: TaskQueue, key: str, task: Any) -> None:
    """Called by a consumer thread as it starts ``task``."""
    try:
        queue.huey.storage.put_data(key, queue.huey.serialize_task(task))
    except Exception:  # the queue's storage is down: run the task anyway
        log.exception("could not mark task %s as running", task.id)


def clear_running(queue: TaskQueue, key: str) -> None:
    try:
        queue.huey.storage.pop_data(key)
    except Exception:
        log.exception("could not clear the running task of %s", key)


async def recover_lost_tasks(queue: TaskQueue, lost_after: float) -> int:
    """Settle what silent workers were running; the number of tasks settled."""
    settled = 0
    for worker in await store.silent_workers(lost_after):
        for index in range(worker.threads):
            raw = await asyncio.to_thread(
                queue.huey.storage.pop_data, running_key(worker.id, index)
            )
            if raw is not EmptyData and raw is not None:
                await _settle(queue, worker, raw)
                settled += 1
        await store.forget_worker(worker)
    return settled


async def _settle(queue: TaskQueue, worker: store.TaskWorker, raw: bytes) -> None:
    huey = queue.huey
    task = huey.deserialize_task(raw)
    error = WorkerLost(
        f"worker pid {worker.pid} on {worker.host} stopped while running the task "
        f"(no heartbeat since {worker.seen_at.isoformat()}Z)"
    )
    if task.retries > 0:
        task.retries -= 1
        log.warning("task %s (%s): %s; queued again", task.name, task.id, error)
        await asyncio.to_thread(huey.enqueue, task)
        return
    log.error("task %s (%s): %s", task.name, task.id, error)
    attempts = max(type(task).default_retries - task.retries, 0) + 1
    await store.record_failure(task.name, task.id, task.args, task.kwargs, error, attempts)
    result = Error(huey.build_error_result(task, error))
    await asyncio.to_thread(huey.put_result, task.id, result)
