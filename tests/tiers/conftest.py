"""Tier tests: the app with the notes plugin of ``tier_plugin.py``, started."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest
from auth_support import Api
from quart import Quart
from tier_plugin import NotesPlugin


@pytest.fixture
async def setup(make_app: Callable[..., Quart]) -> AsyncIterator[tuple[Api, NotesPlugin]]:
    """``(api, plugin)``: an account client, and the plugin (its notes, the tier changes)."""
    plugin = NotesPlugin()
    app = make_app(plugins={"tiered": plugin})
    async with app.test_app():
        yield Api(app), plugin
