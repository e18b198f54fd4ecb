"""The plugin as a unit: entry point, disabled state, OpenAPI, and a lean list."""

from __future__ import annotations

import logging

import maigie_courses
import pytest
from courses_support import BASE, CourseApi, sample_course

from maigie_core.plugins import write_plugin_state
from maigie_core.runtime import runtime


async def test_entry_point_loads_the_plugin(make_app) -> None:
    app = make_app(entry_points=True, STRICT_PLUGINS=False)  # others' plugins may be mid-work
    record = runtime(app).plugins.records["courses"]
    assert record.active and record.module == "maigie_courses", record.error
    assert "ai_courses" in runtime(app).tier_limits
    async with app.test_app():
        api = CourseApi(app)
        course = await api.create(await api.user())
        assert course["title"] == "Data Structures"


async def test_disabled_plugin_routes_are_404_and_the_app_is_healthy(make_app) -> None:
    first = make_app(plugins={"courses": maigie_courses})
    write_plugin_state(runtime(first).db, "courses", False)
    app = make_app(plugins={"courses": maigie_courses})
    assert "ai_courses" not in runtime(app).tier_limits
    assert "create_course" not in runtime(app).ai_actions
    async with app.test_app():
        api = CourseApi(app)
        headers = await api.user()
        for method, path in (("get", BASE), ("post", BASE), ("get", f"{BASE}/x")):
            response = await getattr(api.client, method)(path, headers=headers, json={})
            assert response.status_code == 404
            assert (await response.get_json())["code"] == "RESOURCE_NOT_FOUND"
        assert (await api.client.get("/health")).status_code == 200
        spec = await (await api.client.get("/openapi.json")).get_json()
        assert not any(path.startswith(BASE) for path in spec["paths"])


async def test_openapi_documents_the_routes(api) -> None:
    spec = await (await api.client.get("/openapi.json")).get_json()
    paths = [p for p in spec["paths"] if p.startswith(BASE)]
    assert f"{BASE}/{{course_id}}/enroll" in paths
    assert "CourseOut" in spec["components"]["schemas"]
    assert "requestBody" in spec["paths"][BASE]["post"]


async def test_openapi_declares_both_answers_of_enroll(api) -> None:
    """201 joined, 200 already a member: both bodies are a course (found by tests/fuzz)."""
    spec = await (await api.client.get("/openapi.json")).get_json()
    responses = spec["paths"][f"{BASE}/{{course_id}}/enroll"]["post"]["responses"]
    for status in ("200", "201"):
        schema = responses[status]["content"]["application/json"]["schema"]
        assert schema["title"] == "CourseOut" and "modules" in schema["properties"]


@pytest.fixture
def sql_log(caplog):
    caplog.set_level(logging.DEBUG, logger="peewee.async")

    def statements() -> list[str]:
        found = [
            r.getMessage()
            for r in caplog.records
            if r.name == "peewee.async" and "courses_" in r.getMessage()  # the plugin's own
        ]
        caplog.clear()
        return found

    return statements


async def test_listing_costs_the_same_statements_for_1_or_20_courses(api, sql_log) -> None:
    headers = await api.user()
    await api.create(headers, sample_course("first"))
    await api.list(headers)  # warm the auth cache
    sql_log()
    one = (await api.list(headers))["items"]
    statements_for_one = sql_log()
    for i in range(19):
        await api.create(headers, sample_course(f"c{i}"))
    sql_log()
    twenty = (await api.list(headers))["items"]
    statements_for_twenty = sql_log()
    assert (len(one), len(twenty)) == (1, 20)
    assert len(statements_for_one) == len(statements_for_twenty) == 2, statements_for_twenty
