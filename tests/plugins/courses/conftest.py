"""Courses tests: the core app with the courses plugin (loaded explicitly), started."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import maigie_courses
import pytest
from courses_support import CourseApi
from plugin_kit import EventLog
from quart import Quart


@pytest.fixture
def events() -> EventLog:
    return EventLog()


@pytest.fixture
async def app(make_app: Callable[..., Quart], events: EventLog) -> AsyncIterator[Quart]:
    application = make_app(plugins={"courses": maigie_courses, "event_log": events})
    async with application.test_app():
        yield application


@pytest.fixture
def api(app: Quart) -> CourseApi:
    return CourseApi(app)
