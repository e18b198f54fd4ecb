"""Enqueue, inspect and revoke tasks from anywhere the app is current (routes, tasks,
event subscribers): plugins enqueue each other's tasks *by name*, never by import."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from maigie_core.tasks.queue import TaskHandle


def _queue() -> Any:
    from maigie_core.tasks.queue import current_queue

    return current_queue()


async def enqueue(name: str, *args: Any, **kwargs: Any) -> TaskHandle:
    """Queue task ``name`` with JSON arguments; ``TaskNotFound`` if no enabled plugin has it."""
    handle: TaskHandle = await _queue().enqueue(name, args, kwargs)
    return handle


async def enqueue_at(
    when: datetime | timedelta | float, name: str, *args: Any, **kwargs: Any
) -> TaskHandle:
    """Queue task ``name`` for ``when``: a datetime (naive = UTC) or a delay in seconds."""
    handle: TaskHandle = await _queue().enqueue(name, args, kwargs, when=when)
    return handle


def enqueue_sync(
    name: str, args: Sequence[Any] = (), kwargs: Mapping[str, Any] | None = None
) -> TaskHandle:
    """``enqueue`` for sync code (a sync task or subscriber)."""
    handle: TaskHandle = _queue().enqueue_sync(name, args, kwargs)
    return handle


async def task_status(task_id: str) -> str:
    """``pending`` (queued, running or retrying), ``complete``, ``failed`` or ``revoked``."""
    status: str = await asyncio.to_thread(_queue().status, task_id)
    return status


async def task_result(task_id: str, timeout: float | None = None) -> Any:  # noqa: ASYNC109
    """The return value of task ``task_id``; ``None`` while it has not finished.

    With ``timeout``, waits that long (then ``TimeoutError``); ``TaskFailed`` if it failed.
    """
    return await asyncio.to_thread(_queue().result, task_id, timeout)


async def revoke_task(task_id: str) -> None:
    """Cancel a queued or scheduled task before it starts."""
    await asyncio.to_thread(_queue().revoke, task_id)
