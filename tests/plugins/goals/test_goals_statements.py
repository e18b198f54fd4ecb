"""The hot paths' SQL budget (issue 6): at most 2 statements a request, auth included.

Without a live auth cache (no Redis here) authentication costs one statement, so the
list and the create each get exactly one; the list's is a statement built once per
engine (never a peewee query per request) and no transaction wraps either.
"""

from __future__ import annotations

from goals_support import GOALS, counting_statements, create, premium, set_tier
from maigie_goals.models import GoalTask
from maigie_goals.sql import statements

from maigie_core.runtime import runtime


async def _twenty_goals_with_tasks(api) -> dict[str, str]:
    headers = await premium(api)
    for n in range(20):
        await create(api, headers, title=f"Goal {n}", tasks=[{"title": f"t{i}"} for i in range(3)])
    return headers


async def test_listing_20_goals_with_tasks_is_one_statement_after_auth(app, api) -> None:
    headers = await _twenty_goals_with_tasks(api)
    with counting_statements(app) as seen:
        response = await api.client.get(GOALS, headers=headers)
    page = await response.get_json()
    assert len(page["items"]) == 20 and all(len(g["tasks"]) == 3 for g in page["items"])
    assert len(seen) == 2, seen
    assert "maigie_user" in seen[0]
    async with app.app_context():
        assert seen[1] is statements().list_goals[False, False]


async def test_a_filtered_next_page_is_still_one_statement(app, api) -> None:
    headers = await _twenty_goals_with_tasks(api)
    first = await (
        await api.client.get(f"{GOALS}?limit=5&status=active", headers=headers)
    ).get_json()
    with counting_statements(app) as seen:
        response = await api.client.get(
            f"{GOALS}?limit=5&status=active&cursor={first['next_cursor']}", headers=headers
        )
    assert response.status_code == 200 and len(seen) == 2, seen


async def test_creating_a_goal_is_one_statement_after_auth(app, api) -> None:
    headers = await premium(api)
    body = {"title": "Pass the exam", "description": "Graphs", "target_date": "2027-01-15"}
    with counting_statements(app) as seen:
        response = await api.client.post(GOALS, headers=headers, json=body)
    assert response.status_code == 201
    assert len(seen) == 2 and not any(s.upper().startswith(("BEGIN", "COMMIT")) for s in seen)


async def test_a_free_users_create_checks_the_limit_in_the_same_statement(app, api) -> None:
    headers = await api.user()
    with counting_statements(app) as seen:
        response = await api.client.post(GOALS, headers=headers, json={"title": "Mine"})
    assert response.status_code == 201 and len(seen) == 2, seen
    await create(api, headers)
    with counting_statements(app) as seen:
        response = await api.client.post(GOALS, headers=headers, json={"title": "Third"})
    assert response.status_code == 403 and len(seen) == 2, seen


async def test_getting_one_goal_is_one_statement_after_auth(app, api) -> None:
    headers = await api.user()
    goal = await create(api, headers, tasks=[{"title": "t"}])
    await set_tier(api, headers, "premium_monthly")
    with counting_statements(app) as seen:
        response = await api.client.get(f"{GOALS}/{goal['id']}", headers=headers)
    assert response.status_code == 200 and len(seen) == 2, seen


TASKS = [
    {"title": "Read chapter 1", "due_at": "2026-12-01T09:00:00+02:00"},
    {"title": "Exercises", "done": True},
    {"title": "Mock exam", "due_at": "2026-12-20T10:30:00Z"},
]


async def test_a_goal_with_tasks_is_one_statement_on_postgresql(app, api) -> None:
    """The goal and its tasks go in one statement (no BEGIN/COMMIT); SQLite uses a
    transaction. Either way the rows are the tasks as sent, in order."""
    headers = await api.user()  # free: the limit is checked in the same statement
    with counting_statements(app) as seen:
        response = await api.client.post(
            GOALS, headers=headers, json={"title": "G", "tasks": TASKS}
        )
    assert response.status_code == 201, await response.get_data(as_text=True)
    created = await response.get_json()
    if runtime(app).settings.database_url.startswith("postgres"):
        assert len(seen) == 2, seen
    # A write rebuilds the document from the rows: it must match what the create sent.
    patched = await api.client.patch(
        f"{GOALS}/{created['id']}", headers=headers, json={"title": "H"}
    )
    rebuilt = await patched.get_json()
    assert rebuilt["tasks"] == created["tasks"]
    assert [t["title"] for t in rebuilt["tasks"]] == ["Read chapter 1", "Exercises", "Mock exam"]
    assert rebuilt["tasks"][0]["due_at"] == "2026-12-01T07:00:00.000000Z"
    assert [t["done"] for t in rebuilt["tasks"]] == [False, True, False]
    assert rebuilt["progress"] == 33


async def test_a_refused_goal_leaves_no_tasks_behind(app, api) -> None:
    headers = await api.user()
    await create(api, headers)
    await create(api, headers)
    response = await api.client.post(GOALS, headers=headers, json={"title": "3rd", "tasks": TASKS})
    assert response.status_code == 403
    async with app.app_context():
        assert await GoalTask.select().aio_count() == 0
