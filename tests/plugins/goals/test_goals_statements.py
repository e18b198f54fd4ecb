"""The hot paths' SQL budget (issue 6): at most 2 statements a request, auth included.

Without a live auth cache (no Redis here) authentication costs one statement, so the
list and the create each get exactly one; the list's is a statement built once per
engine (never a peewee query per request) and no transaction wraps either.
"""

from __future__ import annotations

from goals_support import GOALS, counting_statements, create, premium, set_tier
from maigie_goals.sql import statements


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
