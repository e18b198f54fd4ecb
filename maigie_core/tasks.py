"""Task definitions as plugins declare them; bound to the app's Huey queue at startup.

``task`` and ``periodic_task`` only record what a task is; the queue (Huey, from
settings) is built per app, so no task depends on an import-time global.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class TaskDefinition:
    """A plugin's task: a function plus its name, retry policy and optional schedule."""

    name: str
    func: Callable[..., Any]
    description: str = ""
    category: str = "default"
    retries: int = 0
    retry_delay: float = 0.0
    retry_on: tuple[type[BaseException], ...] = (Exception,)
    schedule: str | None = None  # crontab "m h dom mon dow" for periodic tasks


def task(
    name: str,
    *,
    description: str = "",
    category: str = "default",
    retries: int = 0,
    retry_delay: float = 0.0,
    retry_on: tuple[type[BaseException], ...] = (Exception,),
) -> Callable[[Callable[..., Any]], TaskDefinition]:
    """Declare a background task (return it from ``register_tasks``)."""

    def decorate(func: Callable[..., Any]) -> TaskDefinition:
        return TaskDefinition(
            name, func, description or (func.__doc__ or "").strip().split("\n")[0],
            category, retries, retry_delay, retry_on,
        )

    return decorate


def periodic_task(
    name: str, schedule: str, *, description: str = "", category: str = "periodic"
) -> Callable[[Callable[..., Any]], TaskDefinition]:
    """Declare a task run on a crontab ``schedule`` such as ``"*/5 * * * *"``."""

    def decorate(func: Callable[..., Any]) -> TaskDefinition:
        return TaskDefinition(
            name, func, description or (func.__doc__ or "").strip().split("\n")[0],
            category, schedule=schedule,
        )

    return decorate
