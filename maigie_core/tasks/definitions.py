"""Task definitions as plugins declare them: a function plus name, retry policy, schedule.

``task``/``periodic_task`` only describe a task; the queue (Huey, built from settings
per app) binds every definition an enabled plugin returns from ``register_tasks``, so
no task depends on an import-time global. Enqueueing goes through the current app.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

from huey import crontab

if TYPE_CHECKING:
    from maigie_core.tasks.queue import TaskHandle

#: Common crontab schedules ("minute hour day month day_of_week").
EVERY_MINUTE = "* * * * *"
EVERY_FIVE_MINUTES = "*/5 * * * *"
HOURLY = "0 * * * *"
DAILY_AT_MIDNIGHT = "0 0 * * *"
WEEKLY_ON_MONDAY = "0 0 * * 1"


@dataclass(frozen=True)
class TaskDefinition:
    """A plugin's task: a function (sync or ``async def``) and how the queue runs it.

    ``retries`` further attempts follow a failure whose exception is one of ``retry_on``,
    the first after ``retry_delay`` seconds, each next one ``retry_backoff`` times later
    (exponential backoff). After the last attempt the failure is kept in the failed-task
    store (``maigie tasks failed``). ``schedule`` (a crontab) makes it periodic.
    """

    name: str
    func: Callable[..., Any]
    description: str = ""
    category: str = "default"
    retries: int = 0
    retry_delay: float = 0.0
    retry_backoff: float = 2.0
    retry_on: tuple[type[BaseException], ...] = (Exception,)
    schedule: str | None = None  # crontab "m h dom mon dow" for periodic tasks

    def __post_init__(self) -> None:
        if not self.name or any(c.isspace() for c in self.name):
            raise ValueError(f"task name {self.name!r} must be non-empty without spaces")
        if self.retries < 0 or self.retry_delay < 0 or self.retry_backoff < 1:
            raise ValueError(
                f"task {self.name!r}: retries and retry_delay must be >= 0, retry_backoff >= 1"
            )
        if self.schedule is not None:
            parse_crontab(self.schedule, self.name)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Run the function here and now (tests, or one task calling another's code)."""
        return self.func(*args, **kwargs)

    async def enqueue(self, *args: Any, **kwargs: Any) -> TaskHandle:
        """Queue a run with JSON arguments; returns a handle whose ``id`` finds its result."""
        from maigie_core.tasks.queue import current_queue

        return await current_queue().enqueue(self.name, args, kwargs)

    async def enqueue_at(
        self, when: datetime | timedelta | float, *args: Any, **kwargs: Any
    ) -> TaskHandle:
        """Queue a run for ``when``: a datetime (naive = UTC) or a delay in seconds."""
        from maigie_core.tasks.queue import current_queue

        return await current_queue().enqueue(self.name, args, kwargs, when=when)


def _first_doc_line(func: Callable[..., Any]) -> str:
    return (func.__doc__ or "").strip().split("\n")[0]


Decorated = TypeVar("Decorated", bound="TaskDefinition | Callable[..., Any]")


def task(
    name: str,
    *,
    description: str = "",
    category: str = "default",
    retries: int = 0,
    retry_delay: float = 0.0,
    retry_backoff: float = 2.0,
    retry_on: Iterable[type[BaseException]] = (Exception,),
) -> Callable[[Callable[..., Any]], TaskDefinition]:
    """Declare a background task (return it from the ``register_tasks`` hook)::

    @task("goals.recommend_resources", retries=3, retry_delay=2, category="goals")
    async def recommend_resources(goal_id: str) -> None: ...
    """

    def decorate(func: Callable[..., Any]) -> TaskDefinition:
        meta: dict[str, Any] = getattr(func, "__maigie_task__", {})
        return TaskDefinition(
            name=meta.get("name") or name,
            func=func,
            description=meta.get("description") or description or _first_doc_line(func),
            category=meta.get("category") or category,
            retries=meta.get("retries", retries),
            retry_delay=retry_delay,
            retry_backoff=retry_backoff,
            retry_on=meta.get("retry_on") or tuple(retry_on),
        )

    return decorate


def periodic_task(
    name: str,
    schedule: str,
    *,
    description: str = "",
    category: str = "periodic",
    retries: int = 0,
    retry_delay: float = 0.0,
) -> Callable[[Callable[..., Any]], TaskDefinition]:
    """Declare a task run on a crontab ``schedule`` such as ``"*/5 * * * *"`` (UTC)."""

    def decorate(func: Callable[..., Any]) -> TaskDefinition:
        return dataclasses.replace(
            task(
                name,
                description=description,
                category=category,
                retries=retries,
                retry_delay=retry_delay,
            )(func),
            schedule=schedule,
        )

    return decorate


def _annotate(target: Decorated, **changes: Any) -> Decorated:
    """Apply metadata to a definition, or remember it on a function for ``task``."""
    changes = {k: v for k, v in changes.items() if v is not None}
    if isinstance(target, TaskDefinition):
        return dataclasses.replace(target, **changes)
    meta = dict(getattr(target, "__maigie_task__", {}))
    meta.update(changes)
    target.__maigie_task__ = meta  # type: ignore[attr-defined]
    return target


def register_task(
    name: str | None = None, *, description: str | None = None, category: str | None = None
) -> Callable[[Decorated], Decorated]:
    """Set a task's registry metadata (name, description, category), as the seed did.

    Stack it above or below ``@task``; the registry that lists tasks is the per-app one
    the ``register_tasks`` hook fills (``maigie tasks list``).
    """

    def decorate(target: Decorated) -> Decorated:
        return _annotate(target, name=name, description=description, category=category)

    return decorate


def retry_on_exception(
    exceptions: type[BaseException] | Iterable[type[BaseException]], max_retries: int = 3
) -> Callable[[Decorated], Decorated]:
    """Retry a task only when it raises one of ``exceptions``, at most ``max_retries`` times.

    Any other exception fails the task at once (and records it in the failed-task store).
    """
    kinds = (exceptions,) if isinstance(exceptions, type) else tuple(exceptions)

    def decorate(target: Decorated) -> Decorated:
        return _annotate(target, retry_on=kinds, retries=max_retries)

    return decorate


def parse_crontab(schedule: str, name: str = "?") -> Callable[[datetime], bool]:
    """A Huey crontab from ``"minute hour day month day_of_week"``; ValueError if invalid."""
    fields = schedule.split()
    if len(fields) != 5:
        raise ValueError(
            f"task {name!r}: schedule {schedule!r} must have 5 fields "
            "(minute hour day month day_of_week)"
        )
    try:
        check: Callable[[datetime], bool] = crontab(*fields, strict=True)
    except ValueError as exc:
        raise ValueError(f"task {name!r}: schedule {schedule!r}: {exc}") from None
    return check
