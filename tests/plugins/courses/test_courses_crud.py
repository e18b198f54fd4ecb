"""Create (nested, one transaction), read, list, merge-patch and delete a course."""

from __future__ import annotations

import re

from auth_support import assert_error
from courses_support import BASE, sample_course

RFC3339_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def _objects(course):
    yield course
    for module in course["modules"]:
        yield module
        yield from module["topics"]


async def test_create_returns_the_nested_course_in_order(api) -> None:
    headers = await api.user()
    course = await api.create(headers)
    assert course["title"] == "Data Structures"
    assert course["description"] == "Lists, trees and graphs"
    assert course["ai_generated"] is False and course["frozen"] is False
    assert course["progress"] == 0 and course["role"] == "owner"
    assert course["owner_id"] == await api.user_id(headers)
    assert [m["title"] for m in course["modules"]] == ["Linear structures", "Trees"]
    assert [m["order"] for m in course["modules"]] == [0, 1]
    first = course["modules"][0]["topics"]
    assert [(t["title"], t["order"], t["estimated_minutes"], t["done"]) for t in first] == [
        ("Arrays", 0, 30, False),
        ("Lists", 1, None, False),
    ]


async def test_every_object_has_id_and_rfc3339_timestamps(api) -> None:
    course = await api.create(await api.user())
    for obj in _objects(course):
        assert UUID.match(obj["id"]), obj
        assert RFC3339_UTC.match(obj["created_at"]) and RFC3339_UTC.match(obj["updated_at"])


async def test_get_returns_what_create_returned(api) -> None:
    headers = await api.user()
    course = await api.create(headers)
    assert await api.get(headers, course["id"]) == course


async def test_course_without_modules(api) -> None:
    course = await api.create(await api.user(), {"title": "Empty"})
    assert course["modules"] == [] and course["progress"] == 0 and course["description"] == ""


async def test_patch_merges_only_given_fields(api) -> None:
    headers = await api.user()
    course = await api.create(headers, sample_course(duration_weeks=6))
    patched = await api.patch(headers, course["id"], {"title": "  Algorithms  "})
    assert patched["title"] == "Algorithms"
    assert patched["description"] == course["description"]
    assert patched["duration_weeks"] == 6
    assert patched["modules"] == course["modules"]
    assert patched["updated_at"] > course["updated_at"]
    cleared = await api.patch(headers, course["id"], {"duration_weeks": None, "description": ""})
    assert cleared["duration_weeks"] is None and cleared["description"] == ""


async def test_delete_is_204_then_404(api) -> None:
    headers = await api.user()
    course = await api.create(headers)
    response = await api.client.delete(f"{BASE}/{course['id']}", headers=headers)
    assert response.status_code == 204
    await assert_error(
        await api.client.get(f"{BASE}/{course['id']}", headers=headers), 404, "RESOURCE_NOT_FOUND"
    )
    assert (await api.list(headers))["items"] == []


async def test_list_returns_the_callers_courses_newest_first(api) -> None:
    headers = await api.user()
    first = await api.create(headers, sample_course("First"))
    second = await api.create(headers, sample_course("Second"))
    page = await api.list(headers)
    assert [c["id"] for c in page["items"]] == [second["id"], first["id"]]
    assert page["items"][1] == first
    assert page["next_cursor"] is None


async def test_list_paginates_with_an_opaque_cursor(api) -> None:
    headers = await api.user()
    made = [(await api.create(headers, {"title": f"C{i}"}))["id"] for i in range(5)]
    seen, cursor = [], None
    while True:
        query = "limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = await api.list(headers, query)
        assert len(page["items"]) <= 2
        seen += [c["id"] for c in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == list(reversed(made))


async def test_anonymous_callers_get_401(api) -> None:
    await assert_error(await api.client.get(BASE), 401, "UNAUTHORIZED")
    await assert_error(await api.client.post(BASE, json=sample_course()), 401, "UNAUTHORIZED")


async def test_the_largest_course_is_created_in_one_piece(api) -> None:
    headers = await api.user()
    body = {
        "title": "Everything",
        "modules": [
            {"title": f"M{m}", "topics": [{"title": f"T{m}.{t}"} for t in range(100)]}
            for m in range(50)
        ],
    }
    course = await api.create(headers, body)
    assert len(course["modules"]) == 50
    assert [t["title"] for t in course["modules"][49]["topics"]][-1] == "T49.99"
    assert sum(len(m["topics"]) for m in course["modules"]) == 5000
