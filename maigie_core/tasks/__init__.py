"""Background and periodic tasks on Huey: how plugins declare, enqueue and inspect them.

Declare with ``task``/``periodic_task`` and return the definitions from the
``register_tasks`` hook; enqueue with ``await my_task.enqueue(...)`` or, for another
plugin's task, ``await enqueue("other.task_name", ...)``. The queue itself
(``maigie_core.tasks.queue``) is built per app from settings; consumers are
``maigie worker`` processes, or threads inside ``maigie serve`` on the embedded default.
"""

from maigie_core.tasks.api import (
    enqueue,
    enqueue_at,
    enqueue_sync,
    revoke_task,
    task_result,
    task_status,
)
from maigie_core.tasks.definitions import (
    DAILY_AT_MIDNIGHT,
    EVERY_FIVE_MINUTES,
    EVERY_MINUTE,
    HOURLY,
    WEEKLY_ON_MONDAY,
    TaskDefinition,
    periodic_task,
    register_task,
    retry_on_exception,
    task,
)

__all__ = [
    "DAILY_AT_MIDNIGHT",
    "EVERY_FIVE_MINUTES",
    "EVERY_MINUTE",
    "HOURLY",
    "WEEKLY_ON_MONDAY",
    "TaskDefinition",
    "enqueue",
    "enqueue_at",
    "enqueue_sync",
    "periodic_task",
    "register_task",
    "retry_on_exception",
    "revoke_task",
    "task",
    "task_result",
    "task_status",
]
