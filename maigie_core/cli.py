"""The ``maigie`` command line: serve, migrate, plugins, doctor (+ plugin commands).

Every failure is one line on stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import signal
import sys
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any, TypeVar

import click
import peewee

from maigie_core.auth.cli import users as users_group
from maigie_core.db import open_database, startup
from maigie_core.db.migrations import MigrationError, apply_migrations, pending
from maigie_core.db.startup import redact_url
from maigie_core.plugins import PluginError, PluginHost, read_plugin_state, write_plugin_state
from maigie_core.settings import Settings, SettingsError, load_settings
from maigie_core.tasks.cli import COMMANDS as TASK_COMMANDS

F = TypeVar("F", bound=Callable[..., Any])


def _settings(**overrides: Any) -> Settings:
    try:
        settings = load_settings(**{k: v for k, v in overrides.items() if v is not None})
        settings.check_production()
        return settings
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None


def _build_app(settings: Settings) -> Any:
    from maigie_core.app import create_app
    from maigie_core.realtime.hypercorn_ws import IncompatibleServerError

    try:
        return create_app(settings)
    except (PluginError, SettingsError, MigrationError, ValueError, IncompatibleServerError) as exc:
        raise click.ClickException(str(exc)) from None
    except peewee.DatabaseError as exc:  # it went away (again) while the app was built
        raise click.ClickException(f"database: {exc}".splitlines()[0]) from None


def wait_for_database(settings: Settings) -> None:
    """Before serving or consuming: the database answers, or a one-line error (exit 1)."""
    try:
        startup.wait_for_database(
            settings.database_url,
            settings.DATABASE_STARTUP_TIMEOUT,
            settings.DATABASE_CONNECT_TIMEOUT,
        )
    except startup.DatabaseUnavailable as exc:
        raise click.ClickException(str(exc)) from None


def start_app(settings: Settings) -> Any:
    """A serving process's app (``serve``, each of its workers), once the database answers."""
    wait_for_database(settings)
    return _build_app(settings)


def _migrate(app: Any) -> list[tuple[str, str]]:
    from maigie_core.runtime import runtime

    rt = runtime(app)
    try:
        return apply_migrations(rt.db, rt.migrations)
    except MigrationError as exc:
        raise click.ClickException(str(exc)) from None


@click.group()
@click.version_option(package_name="maigie", prog_name="maigie")
def cli() -> None:
    """Maigie: the backend of an AI study companion."""


@cli.command()
@click.option("--host", default=None, help="Bind address (HOST).")
@click.option("--port", type=int, default=None, help="Port (PORT).")
@click.option("--workers", type=click.IntRange(1, 64), default=None, help="Processes (WORKERS).")
def serve(host: str | None, port: int | None, workers: int | None) -> None:
    """Serve the HTTP and WebSocket API with hypercorn.

    On the embedded default (SQLite, no Redis) pending migrations are applied first.
    """
    from hypercorn.config import Config

    from maigie_core.logs import configure_logging

    settings = _settings(HOST=host, PORT=port, WORKERS=workers)
    configure_logging(settings)
    loop_factory(settings)  # before waiting for the database or starting any worker
    app = start_app(settings)
    if settings.database_url.startswith("sqlite"):
        for owner, name in _migrate(app):
            click.echo(f"applied migration {owner}/{name}", err=True)
    config = Config()
    config.bind = [f"{settings.HOST}:{settings.PORT}"]
    config.accesslog = None  # the app logs each request once, with its request id
    config.errorlog = logging.getLogger("hypercorn.error")
    config.graceful_timeout = 10
    config.include_server_header = False  # no software name to fingerprint; one header less
    # hypercorn buffers a message up to this before the app sees it (default 16 MiB)
    config.websocket_max_message_size = settings.REALTIME_MAX_MESSAGE_BYTES
    if settings.WORKERS > 1:
        from maigie_core.metrics import prepare_workers
        from maigie_core.workers import serve_workers

        prepare_workers()  # one directory where every worker's request metrics meet
        sys.exit(serve_workers(config, settings))
    run_loop(serve_one(app, config), settings)


def run_loop(main: Coroutine[Any, Any, None], settings: Settings) -> None:
    """Run a serving process's event loop: uvloop's when installed (EVENT_LOOP=auto).

    uvloop runs the loop, its callbacks and the sockets' transports in C (libuv):
    ≈ 8% fewer instructions per created goal, 13% per bare request
    (bench/request_cost.py). EVENT_LOOP=asyncio keeps the standard loop.
    """
    try:
        factory = loop_factory(settings)
    except click.ClickException:
        main.close()  # never run: no "coroutine was never awaited" warning
        raise
    with asyncio.Runner(loop_factory=factory) as runner:
        runner.run(main)


def loop_factory(settings: Settings) -> Callable[[], asyncio.AbstractEventLoop] | None:
    """The serving loop's factory (None: asyncio's); EVENT_LOOP=uvloop without uvloop is
    a one-line error. ``serve`` asks before it starts anything, each worker again."""
    if settings.EVENT_LOOP == "asyncio":
        return None
    try:
        import uvloop
    except ImportError:
        if settings.EVENT_LOOP == "uvloop":
            raise click.ClickException("EVENT_LOOP=uvloop: uvloop is not installed") from None
        return None
    factory: Callable[[], asyncio.AbstractEventLoop] = uvloop.new_event_loop
    return factory


async def serve_one(app: Any, config: Any, sockets: Any = None) -> None:
    """Serve ``app`` until SIGINT/SIGTERM, closing WebSockets with 1001 first."""
    from hypercorn.asyncio.run import worker_serve
    from hypercorn.utils import wrap_app

    from maigie_core import keepalive
    from maigie_core.realtime import graceful_shutdown

    keepalive.install()  # the keep-alive timeout as a loop timer, not two tasks per request
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    trigger = graceful_shutdown(app, stop.wait)  # WebSockets are closed with 1001 first
    app.while_serving(_settle_heap)  # registered last: runs once everything has started
    asgi = wrap_app(app, config.wsgi_max_body_size, None)
    await worker_serve(asgi, config, sockets=sockets, shutdown_trigger=trigger)


async def _settle_heap() -> AsyncIterator[None]:
    """Keep the garbage collector's full passes rare and short in a serving process.

    A full collection walks every tracked object and stops the event loop meanwhile; a
    process holding WebSockets has many (≈200 per socket, mostly hypercorn's and
    Quart's) besides its ≈100,000 startup objects (modules, classes, schemas), which
    never die: measured at 1,000 sockets, one full pass took 0.5-1.5 s (the fan-out's
    worst latency). The startup objects are frozen out of the scans, and the young
    generation is collected every 20,000 allocations instead of 700 (each of which
    could promote the objects of an in-flight fan-out toward the old generation).
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 20, 20)
    yield


@cli.command()
def migrate() -> None:
    """Apply pending schema migrations of the core and every enabled plugin."""
    app = _build_app(_settings())
    ran = _migrate(app)
    for owner, name in ran:
        click.echo(f"applied {owner}/{name}")
    click.echo(f"{len(ran)} migration(s) applied" if ran else "nothing to migrate")


@cli.group()
def plugins() -> None:
    """Inspect, enable and disable plugins."""


def _plugin_host(settings: Settings) -> PluginHost:
    db = open_database(settings.database_url)
    return PluginHost(enabled_state=read_plugin_state(db), strict=False)


@plugins.command("list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def plugins_list(as_json: bool) -> None:
    """Every installed plugin: name, version, enabled, hooks, load error."""
    host = _plugin_host(_settings())
    records = sorted(host.records.values(), key=lambda r: r.name)
    if as_json:
        click.echo(json.dumps([r.as_dict() for r in records], indent=2))
        return
    if not records:
        click.echo("no plugins installed")
    for r in records:
        state = "enabled" if r.enabled else "disabled"
        line = f"{r.name} {r.version} {state} hooks: {', '.join(r.hooks) or '-'}"
        if r.error:
            line += f" ERROR: {r.error}"
        click.echo(line)


def _set_enabled(name: str, enabled: bool) -> None:
    settings = _settings()
    host = _plugin_host(settings)
    if name not in host.records:
        known = ", ".join(sorted(host.records)) or "none installed"
        raise click.ClickException(f"unknown plugin {name!r} (installed: {known})")
    from maigie_core.app import CORE_MIGRATIONS

    db = open_database(settings.database_url)
    apply_migrations(db, [CORE_MIGRATIONS])
    write_plugin_state(db, name, enabled)
    word = "enabled" if enabled else "disabled"
    click.echo(f"{name} {word}; takes effect when the server next starts")


@plugins.command("enable")
@click.argument("name")
def plugins_enable(name: str) -> None:
    """Enable an installed plugin (persisted)."""
    _set_enabled(name, True)


@plugins.command("disable")
@click.argument("name")
def plugins_disable(name: str) -> None:
    """Disable an installed plugin (persisted): its routes and tasks disappear."""
    _set_enabled(name, False)


@cli.command()
def doctor() -> None:
    """Check settings, database, migrations, Redis and plugins; one line each."""
    failures = 0

    def report(ok: bool, what: str, detail: str) -> None:
        nonlocal failures
        failures += 0 if ok else 1
        click.echo(f"{'ok  ' if ok else 'FAIL'} {what}: {detail}")

    try:
        settings = load_settings()
        settings.check_production()
        report(True, "settings", f"{settings.ENVIRONMENT}, data dir {settings.MAIGIE_DATA_DIR}")
    except SettingsError as exc:
        report(False, "settings", str(exc))
        sys.exit(1)
    try:
        db = open_database(settings.database_url)
        with db.allow_sync():
            db.execute_sql("SELECT 1")
        report(True, "database", redact_url(settings.database_url))
    except Exception as exc:
        report(False, "database", f"{redact_url(settings.database_url)}: {exc}".splitlines()[0])
        sys.exit(1)
    host = PluginHost(enabled_state=read_plugin_state(db), strict=False)
    for record in sorted(host.records.values(), key=lambda r: r.name):
        state = "enabled" if record.enabled else "disabled"
        report(record.error is None, f"plugin {record.name}", record.error or state)
    try:
        app = _build_app(settings)
        from maigie_core.runtime import runtime

        todo = pending(db, runtime(app).migrations)
        report(
            not todo,
            "migrations",
            "all applied" if not todo else f"{len(todo)} pending, run `maigie migrate`",
        )
    except (click.ClickException, MigrationError) as exc:
        report(False, "migrations", str(exc))
    if settings.REDIS_URL:
        try:
            import redis

            redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=3).ping()
            report(True, "redis", redact_url(settings.REDIS_URL))
        except Exception as exc:
            report(False, "redis", f"{redact_url(settings.REDIS_URL)}: {exc}")
    else:
        report(True, "redis", "not configured (in-process fallbacks)")
    sys.exit(1 if failures else 0)


for _command in TASK_COMMANDS:  # maigie worker, maigie tasks ...
    cli.add_command(_command)


cli.add_command(users_group)  # maigie users create|set-tier|set-role|list|expire-tiers


def _add_plugin_commands(group: click.Group) -> None:
    """Let enabled plugins add commands; a broken setup leaves the core commands usable."""
    try:
        settings = load_settings()
        host = _plugin_host(settings)
        host.collect("register_commands", cli=group)
    except Exception as exc:  # reported by `maigie doctor`; core commands still work
        click.echo(f"warning: plugin commands unavailable: {exc}".splitlines()[0], err=True)


def main() -> None:
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    if command not in cli.commands:
        # Plugins add top-level commands: a core command needs none of them (nor the
        # database round trip that finds them, which `serve` and `worker` wait for).
        _add_plugin_commands(cli)
    cli(prog_name="maigie")
