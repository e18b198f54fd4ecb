"""``maigie worker`` and ``maigie tasks list|failed|retry|status``."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import click
import peewee
from quart import Quart

from maigie_core.runtime import runtime
from maigie_core.settings import Settings, SettingsError, load_settings
from maigie_core.tasks import store
from maigie_core.tasks.queue import TaskFailed, TaskNotFound, TaskQueue

T = TypeVar("T")


def _settings() -> Settings:
    try:
        settings = load_settings()
        settings.check_production()
        return settings
    except SettingsError as exc:
        raise click.ClickException(str(exc).splitlines()[0]) from None


def _app(settings: Settings | None = None) -> Quart:
    from maigie_core.app import create_app
    from maigie_core.plugins import PluginError

    try:
        return create_app(settings or _settings())
    except (PluginError, SettingsError, ValueError) as exc:
        raise click.ClickException(str(exc).splitlines()[0]) from None
    except peewee.DatabaseError as exc:
        raise click.ClickException(f"database: {exc}".splitlines()[0]) from None


def _queue(app: Quart) -> TaskQueue:
    queue = runtime(app).queue
    assert queue is not None
    return queue


def _with_db(app: Quart, work: Callable[[], Awaitable[T]]) -> T:
    """Run ``work`` with the app's database connected and its context pushed."""

    async def main() -> T:
        db = runtime(app).db
        await db.aio_connect()
        try:
            async with app.app_context():
                return await work()
        finally:
            await db.aio_close()

    try:
        return asyncio.run(main())
    except Exception as exc:
        if isinstance(exc, click.ClickException):
            raise
        raise click.ClickException(f"{type(exc).__name__}: {exc}".splitlines()[0]) from None


@click.command()
@click.option(
    "--workers", type=click.IntRange(1, 64), default=None, help="Consumer threads (TASKS_WORKERS)."
)
@click.option(
    "--periodic/--no-periodic",
    default=None,
    help="Enqueue periodic tasks on their schedule (TASKS_PERIODIC).",
)
def worker(workers: int | None, periodic: bool | None) -> None:
    """Run the task consumer with every enabled plugin; SIGTERM/SIGINT stop it cleanly."""
    from maigie_core.cli import wait_for_database
    from maigie_core.logs import configure_logging
    from maigie_core.tasks.consumer import run_worker

    settings = _settings()
    configure_logging(settings)
    wait_for_database(settings)
    app = _app(settings)
    try:
        run_worker(
            app,
            threads=workers or settings.TASKS_WORKERS,
            periodic=settings.TASKS_PERIODIC if periodic is None else periodic,
        )
    except RuntimeError as exc:
        raise click.ClickException(str(exc)) from None


@click.group()
def tasks() -> None:
    """Registered, failed and individual background tasks."""


@tasks.command("list")
def tasks_list() -> None:
    """Every registered task, one per line: name, category, description."""
    definitions = sorted(runtime(_app()).tasks.values(), key=lambda d: d.name)
    if not definitions:
        click.echo("no tasks registered")
        return
    width = max(len(d.name) for d in definitions)
    cat_width = max(len(d.category) for d in definitions)
    for d in definitions:
        extra = f" [every {d.schedule}]" if d.schedule else ""
        click.echo(f"{d.name:<{width}}  {d.category:<{cat_width}}  {d.description}{extra}")


@tasks.command("failed")
@click.option("--all", "include_retried", is_flag=True, help="Include those already retried.")
@click.option("--limit", type=click.IntRange(1, 10_000), default=100)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable, with tracebacks.")
def tasks_failed(include_retried: bool, limit: int, as_json: bool) -> None:
    """Tasks that failed their last attempt, most recent first."""
    app = _app()
    rows = _with_db(app, lambda: store.failed_tasks(include_retried, limit))
    if as_json:
        click.echo(json.dumps([r.as_dict() for r in rows], indent=2))
        return
    if not rows:
        click.echo("no failed tasks")
    for r in rows:
        when = r.failed_at.strftime("%Y-%m-%dT%H:%M:%SZ")
        retried = f" (retried as {r.retry_task_id})" if r.retry_task_id else ""
        click.echo(
            f"{r.id}  {when}  {r.task_name}  args={r.args} kwargs={r.kwargs}  "
            f"attempts={r.attempts}  {r.exception.splitlines()[0] if r.exception else ''}"
            f"{retried}"
        )


@tasks.command("retry")
@click.argument("failed_id")
def tasks_retry(failed_id: str) -> None:
    """Queue a failed task again, with the same arguments (ID or a unique prefix)."""
    app = _app()
    queue = _queue(app)

    async def work() -> tuple[str, str]:
        try:
            record = await store.find_failed(failed_id)
        except LookupError as exc:
            raise click.ClickException(str(exc)) from None
        args = json.loads(record.args)
        kwargs = json.loads(record.kwargs)
        try:
            handle = await queue.enqueue(record.task_name, args, kwargs)
        except TaskNotFound as exc:
            raise click.ClickException(str(exc)) from None
        await store.mark_retried(record, handle.id)
        return record.task_name, handle.id

    name, task_id = _with_db(app, work)
    click.echo(f"queued {name} again as task {task_id}")


@tasks.command("status")
@click.argument("task_id")
@click.option("--wait", type=float, default=None, help="Seconds to wait for a result.")
def tasks_status(task_id: str, wait: float | None) -> None:
    """A task's status and, once finished, its result (JSON)."""
    queue = _queue(_app())
    result: Any = None
    try:
        result = queue.result(task_id, timeout=wait)
    except TimeoutError:
        pass
    except TaskFailed as exc:
        click.echo(f"failed: {exc}")
        raise SystemExit(1) from None
    status = queue.status(task_id)
    click.echo(status if status != "complete" else f"complete: {json.dumps(result, default=str)}")


COMMANDS: list[click.Command] = [worker, tasks]
