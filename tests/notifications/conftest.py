"""Notification tests: the core app with cheap password hashing, started."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from auth_support import Api, cheap_settings
from quart import Quart


@pytest.fixture
def make_settings(make_settings: Callable[..., Any]) -> Callable[..., Any]:
    return cheap_settings(make_settings)


@pytest.fixture
async def app(make_app: Callable[..., Quart]) -> AsyncIterator[Quart]:
    application = make_app()
    async with application.test_app():
        yield application


@pytest.fixture
def api(app: Quart) -> Api:
    return Api(app)
