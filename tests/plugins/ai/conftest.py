"""AI plugin tests: the core with the AI plugin and (by default) the real feature plugins.

``make_ai_app(without=("schedule",), ai={...}, **settings)`` builds and migrates an app;
``ai={...}`` are the plugin's own settings (``[plugins.ai]``). The ``app`` fixture is
started with every real plugin; ``api`` is an ``AiApi`` on it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from ai_support import REAL_PLUGINS, AiApi
from auth_support import cheap_settings
from quart import Quart


@pytest.fixture
def make_settings(make_settings: Callable[..., Any]) -> Callable[..., Any]:
    cheap = cheap_settings(make_settings)

    def build(ai: dict[str, Any] | None = None, **overrides: Any) -> Any:
        if ai:
            overrides["plugins"] = {"ai": ai}
        return cheap(**overrides)

    return build


@pytest.fixture
def make_ai_app(make_app: Callable[..., Quart]) -> Callable[..., Quart]:
    def build(
        without: tuple[str, ...] = (), extra: dict[str, Any] | None = None, **settings: Any
    ) -> Quart:
        plugins = {name: module for name, module in REAL_PLUGINS.items() if name not in without}
        plugins.update(extra or {})
        settings.setdefault("AI_CHAT_RATE_PER_MINUTE", 10_000)  # tests of the limit lower it
        return make_app(plugins=plugins, **settings)

    return build


@pytest.fixture
async def app(make_ai_app: Callable[..., Quart]) -> AsyncIterator[Quart]:
    application = make_ai_app()
    async with application.test_app():
        yield application


@pytest.fixture
def api(app: Quart) -> AiApi:
    return AiApi(app)
