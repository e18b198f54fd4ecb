"""A plugin with tasks, used by the task tests (in-process and by `maigie worker`).

Tasks write ``TaskNote`` rows so a test process can see what a worker process did.
"""

from __future__ import annotations

import asyncio
import os
import threading

import peewee

from maigie_core import EventSubscriber, Migrations, Model, emit, hookimpl, transaction
from maigie_core.tasks import enqueue, periodic_task, register_task, retry_on_exception, task

#: Events the app saw from tasks (in-process tests).
SEEN: list[tuple[str, dict]] = []


class TaskNote(Model):
    key = peewee.CharField(max_length=200, index=True)
    value = peewee.TextField()

    class Meta:
        table_name = "tasktest_note"


class Flaky(Exception):
    """The error `tasktest.flaky` retries on."""


async def note(key: str, value: str) -> None:
    await TaskNote.aio_create(key=key, value=value)


async def notes(key: str) -> list[str]:
    query = TaskNote.select().where(TaskNote.key == key).order_by(TaskNote.created_at)
    return [row.value for row in await query.aio_execute()]


@register_task(description="Add two numbers", category="math")
@task("tasktest.add")
def add(a: int, b: int) -> int:
    return a + b


@task("tasktest.note", category="notes")
async def write_note(key: str, value: str) -> dict:
    """Write a note and tell the app about it."""
    async with transaction():
        await note(key, value)
        await emit("tasktest.noted", None, {"key": key, "value": value}, channel="public")
    return {"key": key, "notes": len(await notes(key)), "thread": threading.current_thread().name}


@retry_on_exception(Flaky, max_retries=2)
@task("tasktest.flaky", retry_delay=1.0, retry_backoff=2.0, category="test")
async def flaky(key: str) -> str:
    """Fail with Flaky while the switch note says so."""
    import time

    await note(f"attempt:{key}", repr(time.time()))
    if "ok" not in await notes(f"switch:{key}"):
        raise Flaky(f"switch {key} is off")
    return f"{key} done"


@retry_on_exception(Flaky, max_retries=3)
@task("tasktest.boom", retry_delay=1.0, category="test")
def boom() -> None:
    """Raise an error that is not in the retry list."""
    raise ValueError("boom")


@task("tasktest.slow", category="test")
async def slow(key: str, seconds: float) -> str:
    await note(f"started:{key}", str(os.getpid()))
    await asyncio.sleep(seconds)
    await note(f"done:{key}", str(os.getpid()))
    return key


@task("tasktest.slow_retried", retries=1, category="test")
async def slow_retried(key: str, seconds: float) -> str:
    """``slow`` with one retry: run again when its worker dies under it."""
    return await slow.func(key, seconds)


@periodic_task("tasktest.tick", "* * * * *", description="Note each minute")
async def tick() -> None:
    await note("tick", str(os.getpid()))


@hookimpl
def register_tasks():
    return [add, write_note, flaky, boom, slow, slow_retried, tick]


@hookimpl
def register_migrations():
    return Migrations(owner="tasktest", package="maigie_tasktest.migrations")


@hookimpl
def register_event_subscribers():
    async def on_trigger(event):
        await enqueue("tasktest.note", event.data["key"], "from-event")

    async def on_noted(event):
        SEEN.append((event.name, dict(event.data)))

    return [
        EventSubscriber("tasktest.trigger", on_trigger),
        EventSubscriber("tasktest.noted", on_noted),
    ]
