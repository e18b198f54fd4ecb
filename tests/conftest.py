"""Shared fixtures: an app per test on SQLite, or on PostgreSQL when asked.

* ``MAIGIE_TEST_DATABASE_URL=postgresql://…`` runs the whole suite on PostgreSQL (each
  test's tables truncated afterwards); unset, each test gets its own SQLite file.
* ``MAIGIE_TEST_REDIS_URL=redis://…`` enables the tests that need Redis.
* With ``CI`` set, an unreachable PostgreSQL or Redis that was asked for fails the run
  instead of skipping it.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from auth_support import CHEAP_HASH, Api
from db_support import drop_keys, key_prefix, truncate_all
from quart import Quart

from maigie_core import create_app, load_settings
from maigie_core.db import open_database
from maigie_core.db.migrations import apply_migrations
from maigie_core.runtime import runtime
from maigie_core.settings import Settings

PG_URL = os.environ.get("MAIGIE_TEST_DATABASE_URL", "")
REDIS_URL = os.environ.get("MAIGIE_TEST_REDIS_URL", "")
IN_CI = bool(os.environ.get("CI"))

# A clean environment: the developer's own MAIGIE_* / DATABASE_URL never leak in.
for _key in list(os.environ):
    if (
        _key in Settings.model_fields
        or _key.startswith("MAIGIE_PLUGINS__")
        or _key
        in (
            "MAIGIE_CONFIG",
            "MAIGIE_STRICT_PLUGINS",
        )
    ):
        del os.environ[_key]


def _unreachable(what: str, error: Exception) -> None:
    message = f"{what} unreachable: {error}"
    if IN_CI:
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def pg_url() -> str:
    """The PostgreSQL URL of the run (skips the test when the run is on SQLite)."""
    url = PG_URL or os.environ.get("MAIGIE_PG_URL", "")
    if not url:
        pytest.skip("set MAIGIE_TEST_DATABASE_URL to run PostgreSQL tests")
    try:
        db = open_database(url)
        with db.allow_sync():
            db.execute_sql("SELECT 1")
    except Exception as exc:
        _unreachable("PostgreSQL", exc)
    return url


@pytest.fixture(scope="session")
def redis_url() -> str:
    """The Redis URL of the run (skips unless MAIGIE_TEST_REDIS_URL is set)."""
    if not REDIS_URL:
        pytest.skip("set MAIGIE_TEST_REDIS_URL to run Redis tests")
    try:
        import redis

        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except Exception as exc:
        _unreachable("Redis", exc)
    return REDIS_URL


@pytest.fixture
async def redis_settings(redis_url: str) -> AsyncIterator[dict[str, str]]:
    """``REDIS_URL`` and a key prefix of the test's own; its keys are dropped afterwards.

    Anything that still writes keys (a server, a worker) must stop before this fixture
    ends: depend on it rather than on ``redis_url``.
    """
    prefix = key_prefix()
    yield {"REDIS_URL": redis_url, "REDIS_KEY_PREFIX": prefix}
    await drop_keys(redis_url, prefix)


@pytest.fixture(params=["no_redis", "redis"])
def redis_or_not(request: pytest.FixtureRequest) -> dict[str, str]:
    """The test runs twice: on the defaults (``{}``: the SQLite queue, the in-process
    backplane, database counters) and on Redis (``redis_settings``, when the run has it)."""
    if request.param == "redis":
        settings: dict[str, str] = request.getfixturevalue("redis_settings")
        return settings
    return {}


@pytest.fixture(scope="session", autouse=True)
def _fresh_postgres_schema() -> None:
    """On PostgreSQL, start every run from an empty schema (no state from earlier runs)."""
    if not PG_URL:
        return
    db = open_database(PG_URL)
    try:
        with db.allow_sync():
            db.execute_sql("DROP SCHEMA public CASCADE")
            db.execute_sql("CREATE SCHEMA public")
    except Exception as exc:
        _unreachable("PostgreSQL", exc)


@pytest.fixture
def make_settings(tmp_path: Path) -> Callable[..., Settings]:
    """Settings for a test: its own data dir, the run's database, strict plugins."""

    def build(**overrides: Any) -> Settings:
        base: dict[str, Any] = {
            "MAIGIE_DATA_DIR": str(tmp_path / "data"),
            "ENVIRONMENT": "test",
            "STRICT_PLUGINS": True,
            "ACCESS_LOG": False,
            "TASKS_IMMEDIATE": True,  # unit tests run tasks inline; tests/tasks use consumers
            **CHEAP_HASH,  # argon2 at its cheapest: registration-heavy tests stay fast
        }
        if PG_URL:
            base["DATABASE_URL"] = PG_URL
        base.update(overrides)
        return load_settings(environ={}, **base)

    return build


@pytest.fixture
def make_app(make_settings: Callable[..., Settings]) -> Iterator[Callable[..., Quart]]:
    """Build a migrated app: ``make_app(plugins={...}, entry_points=False, **settings)``."""
    used_pg = False

    def build(
        plugins: dict[str, Any] | None = None, entry_points: bool = False, **overrides: Any
    ) -> Quart:
        nonlocal used_pg
        settings = make_settings(**overrides)
        used_pg = used_pg or settings.database_url.startswith("postgres")
        app = create_app(settings, plugins=plugins, entry_points=entry_points)
        rt = runtime(app)
        apply_migrations(rt.db, rt.migrations)
        return app

    yield build
    if used_pg:
        truncate_all(PG_URL)


@pytest.fixture
async def app(make_app: Callable[..., Quart]) -> AsyncIterator[Quart]:
    """The core alone, started (before_serving ran)."""
    application = make_app()
    async with application.test_app():
        yield application


@pytest.fixture
def client(app: Quart) -> Any:
    return app.test_client()


@pytest.fixture
def api(app: Quart) -> Any:
    """A test client with the account calls (register, login, me, admin) most tests need."""
    return Api(app)


def table_names(app: Quart) -> list[str]:
    db = runtime(app).db
    with db.allow_sync():
        return list(db.get_tables())
