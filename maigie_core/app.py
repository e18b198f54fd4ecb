"""``create_app(settings)``: settings → database → plugins → one Quart app.

The plugin manager is created here, per app, never at import time: two apps with
different plugin sets can live in one process. Order: core blueprints and error
handling first, then each enabled plugin's settings, blueprints, tasks, limits, AI
actions, event subscribers and migrations.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from pydantic import ValidationError
from quart import Quart
from quart_schema import QuartSchema

from maigie_core import redis_client
from maigie_core.auth import install_auth
from maigie_core.db import connect_database
from maigie_core.errors import install_error_handlers
from maigie_core.events import EventBus
from maigie_core.hookspecs import Migrations
from maigie_core.metrics import install_metrics
from maigie_core.middleware import install_middleware
from maigie_core.notifications import install_notifications
from maigie_core.openapi import MaigieOpenAPIProvider
from maigie_core.plugins import PluginError, PluginHost, read_plugin_state
from maigie_core.realtime import install_realtime
from maigie_core.responses import install_responses
from maigie_core.retention import RETENTION_TASKS
from maigie_core.routes import core_blueprint, database_check, redis_check
from maigie_core.runtime import HealthCheck, Runtime
from maigie_core.settings import Settings, load_settings
from maigie_core.tasks.install import install_tasks
from maigie_core.tiers import install_tiers

log = logging.getLogger("maigie.app")

CORE_MIGRATIONS = Migrations(owner="core", package="maigie_core.migrations")

try:
    __version__ = version("maigie")
except PackageNotFoundError:  # running from a source tree without install
    __version__ = "0.0.0"


def create_app(
    settings: Settings | None = None,
    *,
    plugins: Mapping[str, Any] | None = None,
    entry_points: bool = True,
) -> Quart:
    """Build the Maigie app.

    ``plugins`` adds plugin objects by name on top of the installed entry points (tests,
    embedding); ``entry_points=False`` loads only those.
    """
    settings = settings or load_settings()
    settings.check_production()
    db = connect_database(
        settings.database_url,
        settings.DATABASE_POOL_MIN,
        settings.DATABASE_POOL_MAX,
        pool_timeout=settings.DATABASE_POOL_TIMEOUT,
        connect_timeout=settings.DATABASE_CONNECT_TIMEOUT,
        statement_timeout=settings.DATABASE_STATEMENT_TIMEOUT,
        network_timeout=settings.DATABASE_NETWORK_TIMEOUT,
        sqlite_inline_budget=settings.SQLITE_INLINE_BUDGET,
    )
    host = PluginHost(
        enabled_state=read_plugin_state(db),
        extra=plugins,
        load_entry_points=entry_points,
        strict=settings.STRICT_PLUGINS,
    )

    app = Quart("maigie", static_folder=None)
    app.url_map.merge_slashes = False  # "a//b" is a 404 envelope, not a 308 redirect
    app.config["MAIGIE_EXPOSE_DETAIL"] = not settings.is_production
    QuartSchema(
        app,
        openapi_path="/openapi.json",
        swagger_ui_path="/docs",
        redoc_ui_path="/redoc",
        scalar_ui_path=None,
        info={"title": settings.APP_NAME, "version": __version__},
        security_schemes={
            "bearerAuth": {"type": "http", "scheme": "bearer", "bearer_format": "JWT"}
        },
        security=[{"bearerAuth": []}],
        openapi_provider_class=MaigieOpenAPIProvider,
    )
    install_responses(app)
    install_error_handlers(app)
    install_middleware(app, settings, observe=install_metrics(app, settings))

    rt = Runtime(settings=settings, db=db, plugins=host, events=EventBus())
    app.extensions["maigie"] = rt
    rt.migrations.append(CORE_MIGRATIONS)
    rt.health_checks.append(HealthCheck("database", database_check))
    if settings.REDIS_URL:
        rt.redis = redis_client.async_client(settings)
        rt.health_checks.append(HealthCheck("cache", redis_check))
    app.register_blueprint(core_blueprint)
    install_auth(app, rt)  # accounts, tokens, /api/v1/auth and /api/v1/admin
    install_tiers(app, rt)  # /api/v1/subscription; limits come from the plugins below
    install_realtime(app, rt)  # /api/v1/realtime/ws; numbers, logs and fans out events
    install_notifications(app, rt)  # /api/v1/notifications and the push-provider seam
    rt.tasks.update((t.name, t) for t in RETENTION_TASKS)  # core.enforce_retention

    _load_plugin_contributions(app, rt)

    @app.before_serving
    async def start() -> None:
        await db.aio_connect()
        await host.call("startup", app=app)
        rt.serving = True

    @app.after_serving
    async def stop() -> None:
        rt.serving = False
        try:
            await host.call("shutdown", app=app)
        finally:
            if rt.redis is not None:
                await rt.redis.aclose()
            await db.aio_close()

    install_tasks(app, rt)  # after start/stop: its consumer runs inside the connected app
    return app


def _load_plugin_contributions(app: Quart, rt: Runtime) -> None:
    host = rt.plugins
    for name, model in host.collect("register_settings"):
        try:
            rt.plugin_settings[name] = model.model_validate(rt.settings.plugin_settings(name))
        except ValidationError as exc:
            first = exc.errors(include_url=False, include_input=False)[0]
            where = ".".join(str(p) for p in first["loc"])
            raise PluginError(f"plugin {name!r}: setting {where}: {first['msg']}") from None
    for _name, blueprint in host.collect("register_blueprints", app=app):
        app.register_blueprint(blueprint)
    for name, migrations in host.collect("register_migrations"):
        if any(m.owner == migrations.owner for m in rt.migrations):
            raise PluginError(f"plugin {name!r}: migration owner {migrations.owner!r} is taken")
        rt.migrations.append(migrations)
    _unique(rt.tier_limits, host.collect("register_tier_limits"), "tier limit")
    _unique(rt.ai_actions, host.collect("register_ai_actions"), "AI action")
    _unique(rt.tasks, host.collect("register_tasks"), "task")
    rt.events.subscribers.extend(sub for _n, sub in host.collect("register_event_subscribers"))


def _unique(registry: dict[str, Any], items: list[tuple[str, Any]], what: str) -> None:
    owners: dict[str, str] = {}
    for plugin, item in items:
        if item.name in registry:
            raise PluginError(
                f"plugin {plugin!r}: {what} {item.name!r} is already declared by "
                f"{owners.get(item.name, 'the core')!r}"
            )
        registry[item.name] = item
        owners[item.name] = plugin
