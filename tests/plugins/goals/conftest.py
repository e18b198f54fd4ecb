"""Goals plugin tests: an app with only the goals plugin (loaded explicitly), started."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import maigie_goals
import pytest
from auth_support import Api
from quart import Quart


@pytest.fixture
async def app(make_app: Callable[..., Quart]) -> AsyncIterator[Quart]:
    application = make_app(plugins={"goals": maigie_goals})
    async with application.test_app():
        yield application


@pytest.fixture
def api(app: Quart) -> Api:
    return Api(app)
