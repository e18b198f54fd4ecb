"""Hostile-input tests (issue 10): the app with every built-in plugin, two strangers.

Runs on SQLite by default and on PostgreSQL (+ Redis) with the variables of
``tests/conftest.py``; the routes under test come from the app's own OpenAPI document,
so a new plugin route is exercised without touching these tests.
"""

from __future__ import annotations

import os
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from quart import Quart

sys.path.insert(0, str(Path(__file__).resolve().parent))

from hostile_support import Caller
from served_support import Served, serving

# No throttling in the way of hundreds of calls from one user in one test.
UNTHROTTLED = {"LOGIN_RATE_PER_MINUTE": 100_000, "AI_CHAT_RATE_PER_MINUTE": 100_000}


@pytest.fixture
async def full_app(
    make_app: Callable[..., Quart], maybe_redis: dict[str, Any]
) -> AsyncIterator[Quart]:
    """Every built-in plugin (entry points), migrated and started."""
    app = make_app(entry_points=True, **UNTHROTTLED, **maybe_redis)
    async with app.test_app():
        yield app


@pytest.fixture
def maybe_redis(request: pytest.FixtureRequest) -> dict[str, Any]:
    """Redis in the app when the run has one (``MAIGIE_TEST_REDIS_URL``), else nothing."""
    if not os.environ.get("MAIGIE_TEST_REDIS_URL"):
        return {}
    settings: dict[str, Any] = request.getfixturevalue("redis_settings")
    return settings


@pytest.fixture
async def alice(full_app: Quart) -> Caller:
    return await Caller.register(full_app, "alice@example.com")


@pytest.fixture
async def bob(full_app: Quart) -> Caller:
    return await Caller.register(full_app, "bob@example.com")


@pytest.fixture
async def served(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    make_app: Callable[..., Quart],
    maybe_redis: dict[str, Any],
) -> AsyncIterator[Served]:
    """``maigie serve`` (settings and ``workers`` by indirect parametrisation)."""
    options = dict(getattr(request, "param", {}))
    workers = options.pop("workers", 1)
    make_app(entry_points=True)  # migrates the run's database (PostgreSQL: emptied after)
    async with serving(tmp_path, {**maybe_redis, **options}, workers) as server:
        yield server
