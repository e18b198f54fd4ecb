"""With the real courses plugin: a course read through resolve_object, never imported
by the resources plugin (only this test imports both)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import maigie_resources
import pytest
from auth_support import Api
from quart import Quart
from resources_support import Resources

maigie_courses = pytest.importorskip("maigie_courses")


@pytest.fixture
async def app(make_app: Callable[..., Quart]) -> AsyncIterator[Quart]:
    application = make_app(plugins={"resources": maigie_resources, "courses": maigie_courses})
    async with application.test_app():
        yield application


async def test_recommend_for_a_real_course(api: Api, ada: Resources, bob: Resources) -> None:
    response = await api.client.post(
        "/api/v1/courses",
        headers=ada.headers,
        json={
            "title": "Algorithms",
            "modules": [{"title": "Graphs", "topics": [{"title": "Shortest paths"}]}],
        },
    )
    course = await response.get_json()
    assert response.status_code == 201, course
    topic = course["modules"][0]["topics"][0]["id"]
    linked = await ada.create(
        title="Dijkstra explained", course_id=course["id"], topic_id=topic, tags=["graphs"]
    )
    await ada.create(title="Shortest paths in graphs")
    await ada.create(title="French cooking")
    body = await ada.recommend(course_id=course["id"])
    titles = [item["resource"]["title"] for item in body["items"]]
    assert titles == ["Shortest paths in graphs", "Dijkstra explained"]
    assert "linked to this course" in body["items"][1]["reason"]
    assert body["context"]["title"] == "Algorithms"
    assert linked["topic_id"] == topic
    await bob.recommend(expect=404, course_id=course["id"])
    await bob.create(expect=422, title="x", course_id=course["id"])
