"""Resources tests: the plugin with cheap hashing, and a stand-in for courses and goals.

The real courses and goals plugins are other packages; the plugin reads them only
through ``resolve_object``, so a small in-test plugin answering for ``course`` and
``goal`` is all these tests need.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import maigie_resources
import pytest
from auth_support import Api
from quart import Quart
from resources_support import Resources, StudyObjects


@pytest.fixture
def study() -> StudyObjects:
    return StudyObjects()


@pytest.fixture
async def app(make_app: Callable[..., Quart], study: StudyObjects) -> AsyncIterator[Quart]:
    application = make_app(plugins={"resources": maigie_resources, "study": study})
    async with application.test_app():
        yield application


@pytest.fixture
def api(app: Quart) -> Api:
    return Api(app)


@pytest.fixture
async def ada(api: Api) -> Resources:
    return Resources(api, await api.user("ada@example.com"))


@pytest.fixture
async def bob(api: Api) -> Resources:
    return Resources(api, await api.user("bob@example.com"))


@pytest.fixture
async def root(api: Api) -> Resources:
    return Resources(api, await api.admin("root@example.com"))
