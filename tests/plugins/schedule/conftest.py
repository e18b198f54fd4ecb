"""Schedule tests: the core app with the schedule plugin (loaded explicitly), started."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import maigie_schedule
import pytest
from plugin_kit import EventLog
from quart import Quart
from schedule_support import Catalogue, ScheduleApi


@pytest.fixture
def events() -> EventLog:
    return EventLog()


@pytest.fixture
def catalogue() -> Catalogue:
    return Catalogue()


@pytest.fixture
async def app(
    make_app: Callable[..., Quart], events: EventLog, catalogue: Catalogue
) -> AsyncIterator[Quart]:
    application = make_app(
        plugins={"schedule": maigie_schedule, "event_log": events, "catalogue": catalogue}
    )
    async with application.test_app():
        yield application


@pytest.fixture
def api(app: Quart) -> ScheduleApi:
    return ScheduleApi(app)
