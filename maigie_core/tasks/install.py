"""Wire the task queue into an app: the queue, ``/health`` checks, the embedded consumer."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Mapping
from typing import Any

from quart import Quart

from maigie_core.runtime import HealthCheck, Runtime, runtime
from maigie_core.tasks import store
from maigie_core.tasks.consumer import embedded_consumer
from maigie_core.tasks.queue import TaskQueue


def install_tasks(app: Quart, rt: Runtime) -> None:
    """Build the app's queue from settings and the registered tasks (``rt.tasks``)."""
    rt.queue = TaskQueue(app, rt.settings, rt.tasks)
    rt.health_checks.append(HealthCheck("task_queue", task_queue_check))
    rt.health_checks.append(HealthCheck("task_worker", task_worker_check, required=False))

    def consumer_lifespan() -> AsyncGenerator[None, None]:
        return embedded_consumer(app)

    app.while_serving(consumer_lifespan)


async def task_queue_check() -> Mapping[str, Any]:
    """The queue's storage answers; how many tasks wait (queued now, scheduled later)."""
    queue = runtime().queue
    assert queue is not None
    queued, scheduled = await asyncio.to_thread(queue.depth)
    return {"backend": queue.backend, "queued": queued, "scheduled": scheduled}


async def task_worker_check() -> Mapping[str, Any]:
    """Is a consumer alive (a heartbeat younger than three intervals)? Not required:
    requests are served without one; tasks wait in the queue until a worker runs."""
    rt = runtime()
    assert rt.queue is not None
    if rt.queue.immediate:
        return {"mode": "immediate"}
    max_age = 3 * rt.settings.TASKS_HEARTBEAT_INTERVAL
    workers = await store.live_workers(max_age)
    if not workers:
        hint = "run `maigie worker`" if rt.settings.REDIS_URL else "`maigie serve` runs one"
        raise RuntimeError(f"no task worker alive (no heartbeat for {max_age:g}s; {hint})")
    return {
        "alive": len(workers),
        "threads": sum(w.threads for w in workers),
        "workers": [
            {"host": w.host, "pid": w.pid, "embedded": w.embedded, "periodic": w.periodic}
            for w in workers
        ],
    }
