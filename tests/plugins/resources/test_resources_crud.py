"""Saving, reading, tagging, deleting resources; validation; the JSON shape."""

from __future__ import annotations

import uuid

import pytest
from auth_support import assert_error
from resources_support import Resources, user_id


async def test_create_returns_201_with_the_resource_shape(ada: Resources) -> None:
    body = await ada.create(
        title="  Graph algorithms ",
        url="https://example.com/graphs",
        type="video",
        description="BFS and DFS",
        tags=["CS", "graphs", "cs"],
    )
    assert body["title"] == "Graph algorithms"
    assert body["type"] == "video" and body["tags"] == ["cs", "graphs"]
    assert body["course_id"] is None and body["topic_id"] is None and body["shared"] is False
    uuid.UUID(body["id"])
    assert body["created_at"].endswith("Z") and body["updated_at"].endswith("Z")
    response = await ada.client.get(f"/api/v1/resources/{body['id']}", headers=ada.headers)
    assert response.status_code == 200 and await response.get_json() == body


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "ftp://example.com/file",
        "file:///etc/passwd",
        "data:text/html,hi",
        "https://",
        "example.com",
        "http://exa mple.com",
        "",
    ],
)
async def test_only_http_and_https_urls_are_accepted(ada: Resources, url: str) -> None:
    body = await ada.create(expect=422, title="x", url=url)
    assert body["code"] == "VALIDATION_ERROR"
    assert body["detail"][0]["loc"][-1] == "url"


@pytest.mark.parametrize(
    "body",
    [
        {"title": "x", "type": "podcast"},
        {"title": ""},
        {"title": "   "},
        {"title": "x" * 301},
        {"title": "x", "tags": [""]},
        {"title": "x", "tags": ["t" * 51]},
        {"title": "x", "tags": [f"t{i}" for i in range(21)]},
        {"title": "x", "unknown": 1},
        {"title": "x", "topic_id": str(uuid.uuid4())},
    ],
)
async def test_invalid_bodies_are_422(ada: Resources, body: dict) -> None:
    body.setdefault("url", "https://example.com")
    assert (await ada.create(expect=422, **body))["code"] == "VALIDATION_ERROR"


async def test_patch_merges_and_tags_replace_the_list(ada: Resources) -> None:
    created = await ada.create(title="Sorting", tags=["algo"], description="merge sort")
    response = await ada.client.patch(
        f"/api/v1/resources/{created['id']}",
        json={"tags": ["Sorting", "exam"]},
        headers=ada.headers,
    )
    body = await response.get_json()
    assert response.status_code == 200, body
    assert body["tags"] == ["sorting", "exam"] and body["description"] == "merge sort"
    assert body["updated_at"] >= created["updated_at"]
    assert await ada.titles(tag="exam") == ["Sorting"]
    assert await ada.titles(tag="algo") == []


async def test_patch_null_on_a_required_field_is_422(ada: Resources) -> None:
    created = await ada.create(title="Sorting")
    response = await ada.client.patch(
        f"/api/v1/resources/{created['id']}", json={"title": None}, headers=ada.headers
    )
    await assert_error(response, 422, "VALIDATION_ERROR")


async def test_delete_is_204_then_404(ada: Resources) -> None:
    created = await ada.create(title="Sorting")
    url = f"/api/v1/resources/{created['id']}"
    assert (await ada.client.delete(url, headers=ada.headers)).status_code == 204
    await assert_error(await ada.client.get(url, headers=ada.headers), 404, "RESOURCE_NOT_FOUND")
    assert await ada.titles(q="sorting") == []


@pytest.mark.parametrize("bad", ["not-a-uuid", "1", "%27%3B--", "0" * 40])
async def test_non_uuid_ids_are_404(ada: Resources, bad: str) -> None:
    for method in ("get", "patch", "delete"):
        kwargs = {"json": {"title": "x"}} if method == "patch" else {}
        response = await getattr(ada.client, method)(
            f"/api/v1/resources/{bad}", headers=ada.headers, **kwargs
        )
        await assert_error(response, 404, "RESOURCE_NOT_FOUND")


async def test_routes_need_a_user(api) -> None:
    response = await api.client.get("/api/v1/resources")
    await assert_error(response, 401, "UNAUTHORIZED")
    response = await api.client.post("/api/v1/resources/recommend", json={"topic": "x"})
    await assert_error(response, 401, "UNAUTHORIZED")


async def test_course_and_topic_references_are_checked(
    ada: Resources, bob: Resources, api, study
) -> None:
    ada_id = await user_id(api, ada)
    course = study.course(ada_id, "Algorithms", [("Graphs", ["BFS"])])
    topic = study.objects[("course", course)][1]["modules"][0]["topics"][0]["id"]
    body = await ada.create(title="BFS", course_id=course, topic_id=topic)
    assert body["course_id"] == course and body["topic_id"] == topic
    # someone else's course, an unknown topic: 422 naming the field
    error = await bob.create(expect=422, title="BFS", course_id=course)
    assert error["detail"][0]["loc"] == ["body", "course_id"]
    error = await ada.create(expect=422, title="BFS", course_id=course, topic_id=str(uuid.uuid4()))
    assert error["detail"][0]["loc"] == ["body", "topic_id"]


async def test_a_deleted_course_is_unlinked(ada: Resources, api, app, study) -> None:
    from maigie_core import emit

    course = study.course(await user_id(api, ada), "Algorithms", [])
    created = await ada.create(title="BFS", course_id=course)
    async with app.app_context():
        await emit("course.deleted", None, {"id": course})
    response = await ada.client.get(f"/api/v1/resources/{created['id']}", headers=ada.headers)
    assert (await response.get_json())["course_id"] is None
