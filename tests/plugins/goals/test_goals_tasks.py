"""Tasks under a goal, progress events and completion (progress 100 → completed)."""

from __future__ import annotations

import pytest
from auth_support import assert_error
from goals_support import GOALS, create


async def _goal_with_tasks(api, headers, n: int = 4) -> dict:
    return await create(api, headers, tasks=[{"title": f"Task {i}"} for i in range(n)])


async def _get(api, headers, goal_id: str) -> dict:
    return await (await api.client.get(f"{GOALS}/{goal_id}", headers=headers)).get_json()


async def test_task_crud_and_the_goal_shows_its_tasks_in_order(api) -> None:
    headers = await api.user()
    goal = await create(api, headers)
    base = f"{GOALS}/{goal['id']}/tasks"
    response = await api.client.post(
        base, headers=headers, json={"title": "Read", "due_at": "2026-12-01T09:00:00Z"}
    )
    assert response.status_code == 201
    task = await response.get_json()
    assert set(task) == {"id", "title", "due_at", "done", "created_at", "updated_at"}
    assert task["due_at"] == "2026-12-01T09:00:00.000000Z" and task["done"] is False
    second = await (
        await api.client.post(base, headers=headers, json={"title": "Write"})
    ).get_json()
    assert await (await api.client.get(f"{base}/{task['id']}", headers=headers)).get_json() == task
    patched = await api.client.patch(
        f"{base}/{task['id']}", headers=headers, json={"title": "Read more", "due_at": None}
    )
    assert (await patched.get_json())["title"] == "Read more"
    assert (await patched.get_json())["due_at"] is None
    assert [t["title"] for t in (await _get(api, headers, goal["id"]))["tasks"]] == [
        "Read more", "Write",
    ]  # fmt: skip
    assert (await api.client.delete(f"{base}/{second['id']}", headers=headers)).status_code == 204
    await assert_error(
        await api.client.get(f"{base}/{second['id']}", headers=headers), 404, "RESOURCE_NOT_FOUND"
    )
    assert [t["title"] for t in (await _get(api, headers, goal["id"]))["tasks"]] == ["Read more"]


async def test_task_list_is_paginated(api) -> None:
    headers = await api.user()
    goal = await _goal_with_tasks(api, headers, 5)
    base = f"{GOALS}/{goal['id']}/tasks"
    page = await (await api.client.get(f"{base}?limit=2", headers=headers)).get_json()
    titles = [t["title"] for t in page["items"]]
    while page["next_cursor"]:
        page = await (
            await api.client.get(f"{base}?limit=2&cursor={page['next_cursor']}", headers=headers)
        ).get_json()
        titles += [t["title"] for t in page["items"]]
    assert titles == [f"Task {i}" for i in range(5)]
    empty = await create(api, headers, title="No tasks")
    page = await (await api.client.get(f"{GOALS}/{empty['id']}/tasks", headers=headers)).get_json()
    assert page == {"items": [], "next_cursor": None}
    await assert_error(
        await api.client.get(f"{base}?limit=0", headers=headers), 422, "VALIDATION_ERROR"
    )


async def test_a_task_of_another_goal_is_404(api) -> None:
    headers = await api.user()
    first, second = await _goal_with_tasks(api, headers, 1), await _goal_with_tasks(api, headers, 1)
    task_id = first["tasks"][0]["id"]
    response = await api.client.get(f"{GOALS}/{second['id']}/tasks/{task_id}", headers=headers)
    await assert_error(response, 404, "RESOURCE_NOT_FOUND")
    response = await api.client.post(
        f"{GOALS}/{second['id']}/progress", headers=headers, json={"task_id": task_id}
    )
    await assert_error(response, 404, "RESOURCE_NOT_FOUND")


async def test_progress_follows_done_tasks(api) -> None:
    headers = await api.user()
    goal = await _goal_with_tasks(api, headers, 4)
    response = await api.client.post(
        f"{GOALS}/{goal['id']}/progress", headers=headers, json={"task_id": goal["tasks"][0]["id"]}
    )
    updated = await response.get_json()
    assert response.status_code == 200
    assert updated["progress"] == 25 and updated["tasks"][0]["done"] is True
    await api.client.patch(
        f"{GOALS}/{goal['id']}/tasks/{goal['tasks'][1]['id']}", headers=headers, json={"done": True}
    )
    assert (await _get(api, headers, goal["id"]))["progress"] == 50
    await api.client.post(f"{GOALS}/{goal['id']}/tasks", headers=headers, json={"title": "More"})
    assert (await _get(api, headers, goal["id"]))["progress"] == 40  # 2 of 5, rounded down


async def test_an_explicit_progress_value_wins_until_cleared(api) -> None:
    headers = await api.user()
    goal = await _goal_with_tasks(api, headers, 2)
    response = await api.client.post(
        f"{GOALS}/{goal['id']}/progress", headers=headers, json={"progress": 70}
    )
    assert (await response.get_json())["progress"] == 70
    response = await api.client.post(
        f"{GOALS}/{goal['id']}/progress", headers=headers, json={"task_id": goal["tasks"][0]["id"]}
    )
    assert (await response.get_json())["progress"] == 70  # the last explicit value
    response = await api.client.patch(
        f"{GOALS}/{goal['id']}", headers=headers, json={"progress": None}
    )
    assert (await response.get_json())["progress"] == 50  # back to done ÷ tasks


async def test_progress_100_completes_the_goal(api) -> None:
    headers = await api.user()
    goal = await create(api, headers)
    response = await api.client.post(
        f"{GOALS}/{goal['id']}/progress", headers=headers, json={"progress": 100}
    )
    completed = await response.get_json()
    assert (completed["progress"], completed["status"]) == (100, "completed")


async def test_the_last_task_done_completes_the_goal(api) -> None:
    headers = await api.user()
    goal = await _goal_with_tasks(api, headers, 2)
    for task in goal["tasks"]:
        response = await api.client.post(
            f"{GOALS}/{goal['id']}/progress", headers=headers, json={"task_id": task["id"]}
        )
    final = await response.get_json()
    assert (final["progress"], final["status"]) == (100, "completed")


async def test_deleting_the_last_open_task_completes_the_goal(api) -> None:
    headers = await api.user()
    goal = await _goal_with_tasks(api, headers, 2)
    first, second = goal["tasks"]
    await api.client.patch(
        f"{GOALS}/{goal['id']}/tasks/{first['id']}", headers=headers, json={"done": True}
    )
    await api.client.delete(f"{GOALS}/{goal['id']}/tasks/{second['id']}", headers=headers)
    final = await _get(api, headers, goal["id"])
    assert (final["progress"], final["status"]) == (100, "completed")


async def test_creating_with_every_task_done_is_already_completed(api) -> None:
    headers = await api.user()
    goal = await create(api, headers, tasks=[{"title": "a", "done": True}])
    assert (goal["progress"], goal["status"]) == (100, "completed")


async def test_progress_body_needs_exactly_one_of_progress_or_task_id(api) -> None:
    headers = await api.user()
    goal = await _goal_with_tasks(api, headers, 1)
    url = f"{GOALS}/{goal['id']}/progress"
    for body in (
        {},
        {"progress": 50, "task_id": goal["tasks"][0]["id"]},
        {"progress": 101},
        {"progress": -5},
        {"progress": "lots"},
        {"task_id": "nope"},
        {"progress": 5, "note": "x"},
    ):
        await assert_error(
            await api.client.post(url, headers=headers, json=body), 422, "VALIDATION_ERROR"
        )
    assert (await _get(api, headers, goal["id"]))["progress"] == 0


async def test_invalid_task_bodies_are_422(api) -> None:
    headers = await api.user()
    goal = await _goal_with_tasks(api, headers, 1)
    base = f"{GOALS}/{goal['id']}/tasks"
    for body in ({}, {"title": ""}, {"title": "x" * 201}, {"title": "t", "due_at": "2026-02-30"}):
        await assert_error(
            await api.client.post(base, headers=headers, json=body), 422, "VALIDATION_ERROR"
        )
    task_url = f"{base}/{goal['tasks'][0]['id']}"
    for body in ({"done": None}, {"title": None}, {"position": 3}):
        await assert_error(
            await api.client.patch(task_url, headers=headers, json=body), 422, "VALIDATION_ERROR"
        )


async def test_a_goal_holds_at_most_100_tasks(api) -> None:
    headers = await api.user()
    goal = await create(api, headers, tasks=[{"title": f"t{i}"} for i in range(100)])
    response = await api.client.post(
        f"{GOALS}/{goal['id']}/tasks", headers=headers, json={"title": "one too many"}
    )
    await assert_error(response, 422, "VALIDATION_ERROR")


@pytest.mark.parametrize(
    "due_at",
    [
        "0001-01-01T00:00:00+14:00",  # before year 1 in UTC: was OverflowError, a 500
        "9999-12-31T23:59:59-14:00",  # after year 9999 in UTC: the same
        "9000-01-01T00:00:00Z",
        "1899-12-31T23:59:59",
    ],
)
async def test_a_due_time_at_the_end_of_the_calendar_is_a_422(api, due_at: str) -> None:
    """Found by fuzzing a served app; every way a task gets a ``due_at`` is covered."""
    headers = await api.user()
    goal = await _goal_with_tasks(api, headers, 1)
    base = f"{GOALS}/{goal['id']}/tasks"
    attempts = [
        ("post", base, {"title": "t", "due_at": due_at}),
        ("patch", f"{base}/{goal['tasks'][0]['id']}", {"due_at": due_at}),
        ("post", GOALS, {"title": "g", "tasks": [{"title": "t", "due_at": due_at}]}),
    ]
    for method, url, body in attempts:
        response = await getattr(api.client, method)(url, headers=headers, json=body)
        error = await assert_error(response, 422, "VALIDATION_ERROR")
        assert error["detail"][0]["loc"][-1] == "due_at", (method, url)
    task = (await _get(api, headers, goal["id"]))["tasks"][0]
    assert task["due_at"] is None
