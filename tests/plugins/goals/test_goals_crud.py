"""Goals CRUD: shapes (SPEC §5), merge patches, pagination, validation, isolation."""

from __future__ import annotations

import re
import uuid

import pytest
from auth_support import assert_error
from goals_support import GOALS, create, goals_of, premium

RFC3339_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$")


async def test_create_returns_201_and_the_goal_in_the_spec_shape(api) -> None:
    headers = await api.user()
    goal = await create(
        api,
        headers,
        title="Pass the exam",
        description="Chapters 1-5",
        target_date="2027-01-15",
        tasks=[{"title": "Chapter 1", "due_at": "2026-12-01T10:00:00+01:00"}, {"title": "Ch 2"}],
    )
    assert set(goal) == {
        "id", "title", "description", "target_date", "status", "progress", "course_id",
        "frozen", "tasks", "created_at", "updated_at",
    }  # fmt: skip
    uuid.UUID(goal["id"])
    assert goal["title"] == "Pass the exam" and goal["description"] == "Chapters 1-5"
    assert goal["target_date"] == "2027-01-15"
    assert (goal["status"], goal["progress"], goal["course_id"], goal["frozen"]) == (
        "active", 0, None, False,
    )  # fmt: skip
    assert RFC3339_UTC.match(goal["created_at"]) and goal["created_at"] == goal["updated_at"]
    first, second = goal["tasks"]
    assert set(first) == {"id", "title", "due_at", "done", "created_at", "updated_at"}
    assert first["title"] == "Chapter 1" and first["done"] is False
    assert first["due_at"] == "2026-12-01T09:00:00.000000Z"  # converted to UTC
    assert second["due_at"] is None and RFC3339_UTC.match(second["created_at"])


async def test_get_and_list_return_the_same_json_as_create(api) -> None:
    headers = await api.user()
    goal = await create(api, headers, target_date="2027-02-01", tasks=[{"title": "Read"}])
    got = await api.client.get(f"{GOALS}/{goal['id']}", headers=headers)
    assert got.status_code == 200 and await got.get_json() == goal
    assert got.headers["Content-Type"].startswith("application/json")
    assert await goals_of(api, headers) == [goal]


async def test_list_is_newest_first_and_pages_with_an_opaque_cursor(api) -> None:
    headers = await premium(api)
    made = [await create(api, headers, title=f"Goal {n}") for n in range(5)]
    response = await api.client.get(f"{GOALS}?limit=2", headers=headers)
    page = await response.get_json()
    assert [g["title"] for g in page["items"]] == ["Goal 4", "Goal 3"]
    seen = [g["id"] for g in page["items"]]
    while page["next_cursor"]:
        response = await api.client.get(
            f"{GOALS}?limit=2&cursor={page['next_cursor']}", headers=headers
        )
        page = await response.get_json()
        seen += [g["id"] for g in page["items"]]
    assert seen == [g["id"] for g in reversed(made)]
    assert (await (await api.client.get(GOALS, headers=headers)).get_json())["next_cursor"] is None


async def test_list_filters_by_status(api) -> None:
    headers = await api.user()
    done = await create(api, headers, title="Done")
    await create(api, headers, title="Open")
    await api.client.patch(f"{GOALS}/{done['id']}", headers=headers, json={"status": "completed"})
    assert [g["title"] for g in await goals_of(api, headers, "?status=completed")] == ["Done"]
    assert [g["title"] for g in await goals_of(api, headers, "?status=active")] == ["Open"]
    assert await goals_of(api, headers, "?status=archived") == []


@pytest.mark.parametrize(
    "query",
    ["?limit=0", "?limit=101", "?limit=-1", "?limit=abc", "?limit=1.5", "?limit=",
     "?status=done", "?cursor=not-a-cursor", "?cursor=Zm9vfGJhcg", "?colour=red",
     "?cursor=" + "A" * 201],
)  # fmt: skip
async def test_bad_list_parameters_are_422(api, query) -> None:
    headers = await api.user()
    await assert_error(
        await api.client.get(GOALS + query, headers=headers), 422, "VALIDATION_ERROR"
    )


async def test_limit_bounds_are_accepted(api) -> None:
    headers = await api.user()
    for query in ("?limit=1", "?limit=100", "?limit=20"):
        assert (await api.client.get(GOALS + query, headers=headers)).status_code == 200


async def test_patch_merges_and_clears_with_null(api) -> None:
    headers = await api.user()
    goal = await create(api, headers, description="old", target_date="2027-01-01")
    response = await api.client.patch(
        f"{GOALS}/{goal['id']}", headers=headers, json={"title": "  New title  "}
    )
    patched = await response.get_json()
    assert response.status_code == 200
    assert patched["title"] == "New title" and patched["description"] == "old"
    assert patched["target_date"] == "2027-01-01" and patched["updated_at"] > goal["updated_at"]
    response = await api.client.patch(
        f"{GOALS}/{goal['id']}", headers=headers, json={"target_date": None, "description": None}
    )
    cleared = await response.get_json()
    assert cleared["target_date"] is None and cleared["description"] is None
    assert (
        await (await api.client.get(f"{GOALS}/{goal['id']}", headers=headers)).get_json() == cleared
    )


async def test_delete_is_204_then_404(api) -> None:
    headers = await api.user()
    goal = await create(api, headers, tasks=[{"title": "t"}])
    response = await api.client.delete(f"{GOALS}/{goal['id']}", headers=headers)
    assert response.status_code == 204 and await response.get_data() == b""
    await assert_error(
        await api.client.get(f"{GOALS}/{goal['id']}", headers=headers), 404, "RESOURCE_NOT_FOUND"
    )
    await assert_error(
        await api.client.delete(f"{GOALS}/{goal['id']}", headers=headers), 404, "RESOURCE_NOT_FOUND"
    )


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"title": ""},
        {"title": "   "},
        {"title": "x" * 201},
        {"title": "ok", "description": "x" * 5001},
        {"title": "ok", "target_date": "2027-13-01"},
        {"title": "ok", "target_date": "tomorrow"},
        {"title": "ok", "target_date": "2027-01-01T00:00:00"},
        {"title": "ok", "target_date": 1700000000},
        {"title": "ok", "colour": "red"},
        {"title": "ok", "status": "completed"},
        {"title": "ok", "course_id": "not-a-uuid"},
        {"title": "nul\x00byte"},
        {"title": "ok", "tasks": [{"title": ""}]},
        {"title": "ok", "tasks": [{"title": "t", "due_at": "soon"}]},
        {"title": "ok", "tasks": [{"title": "t", "extra": 1}]},
        {"title": "ok", "tasks": [{"title": "t"}] * 101},
        ["not", "an", "object"],
    ],
)
async def test_invalid_create_bodies_are_422(api, body) -> None:
    headers = await api.user()
    body_json = await assert_error(
        await api.client.post(GOALS, headers=headers, json=body), 422, "VALIDATION_ERROR"
    )
    assert body_json["detail"]
    assert await goals_of(api, headers) == []


async def test_malformed_json_is_the_400_envelope(api) -> None:
    headers = await api.user()
    response = await api.client.post(
        GOALS, headers={**headers, "Content-Type": "application/json"}, data=b"{nope"
    )
    await assert_error(response, 400, "BAD_REQUEST")


@pytest.mark.parametrize(
    "body",
    [{"title": None}, {"status": None}, {"status": "paused"}, {"progress": 101},
     {"progress": -1}, {"id": "x"}, {"title": ""}],
)  # fmt: skip
async def test_invalid_patches_are_422(api, body) -> None:
    headers = await api.user()
    goal = await create(api, headers)
    await assert_error(
        await api.client.patch(f"{GOALS}/{goal['id']}", headers=headers, json=body),
        422,
        "VALIDATION_ERROR",
    )


async def test_anonymous_callers_get_401(api) -> None:
    await assert_error(await api.client.get(GOALS), 401, "UNAUTHORIZED")
    await assert_error(await api.client.post(GOALS, json={"title": "x"}), 401, "UNAUTHORIZED")


async def test_another_users_goal_is_404_on_every_route(api) -> None:
    owner = await api.user("owner@example.com")
    other = await api.user("other@example.com")
    goal = await create(api, owner, tasks=[{"title": "secret task"}])
    gid, tid = goal["id"], goal["tasks"][0]["id"]
    calls = [
        ("get", f"{GOALS}/{gid}", None),
        ("patch", f"{GOALS}/{gid}", {"title": "mine now"}),
        ("delete", f"{GOALS}/{gid}", None),
        ("post", f"{GOALS}/{gid}/progress", {"progress": 50}),
        ("post", f"{GOALS}/{gid}/progress", {"task_id": tid}),
        ("get", f"{GOALS}/{gid}/tasks", None),
        ("post", f"{GOALS}/{gid}/tasks", {"title": "x"}),
        ("get", f"{GOALS}/{gid}/tasks/{tid}", None),
        ("patch", f"{GOALS}/{gid}/tasks/{tid}", {"done": True}),
        ("delete", f"{GOALS}/{gid}/tasks/{tid}", None),
    ]
    for method, path, body in calls:
        response = await getattr(api.client, method)(path, headers=other, json=body)
        error = await assert_error(response, 404, "RESOURCE_NOT_FOUND")
        assert "secret" not in str(error)
    assert await goals_of(api, other) == []
    untouched = await (await api.client.get(f"{GOALS}/{gid}", headers=owner)).get_json()
    assert untouched == goal


@pytest.mark.parametrize("bad", ["nope", "123", "00000000-0000-0000-0000-00000000000g", "%00"])
async def test_non_uuid_ids_are_404_never_500(api, bad) -> None:
    headers = await api.user()
    goal = await create(api, headers, tasks=[{"title": "t"}])
    for method, path in [
        ("get", f"{GOALS}/{bad}"),
        ("patch", f"{GOALS}/{bad}"),
        ("delete", f"{GOALS}/{bad}"),
        ("post", f"{GOALS}/{bad}/progress"),
        ("get", f"{GOALS}/{bad}/tasks"),
        ("get", f"{GOALS}/{goal['id']}/tasks/{bad}"),
        ("patch", f"{GOALS}/{goal['id']}/tasks/{bad}"),
        ("delete", f"{GOALS}/{goal['id']}/tasks/{bad}"),
    ]:
        response = await getattr(api.client, method)(path, headers=headers, json={"title": "x"})
        await assert_error(response, 404, "RESOURCE_NOT_FOUND")


async def test_routes_are_in_the_openapi_document(api) -> None:
    spec = await (await api.client.get("/openapi.json")).get_json()
    assert "/api/v1/goals" in spec["paths"]
    assert "/api/v1/goals/{goal_id}/progress" in spec["paths"]
    create_op = spec["paths"]["/api/v1/goals"]["post"]
    assert "requestBody" in create_op and "201" in create_op["responses"]
    assert "GoalOut" in spec["components"]["schemas"]
    assert "limit" in str(spec["paths"]["/api/v1/goals"]["get"]["parameters"])
