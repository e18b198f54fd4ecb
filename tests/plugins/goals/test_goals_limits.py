"""The active_goals limit: 2 for free users, atomic under concurrency, frozen on downgrade."""

from __future__ import annotations

import asyncio

from auth_support import assert_error
from goals_support import GOALS, create, goals_of, set_tier
from maigie_goals.models import Goal

from maigie_core.runtime import runtime


async def _active_held(app, email_headers_api) -> int:
    return len(await goals_of(*email_headers_api, "?status=active"))


async def test_a_free_user_holds_at_most_two_active_goals(api) -> None:
    headers = await api.user()
    await create(api, headers)
    await create(api, headers)
    response = await api.client.post(GOALS, headers=headers, json={"title": "Third"})
    body = await assert_error(response, 403, "SUBSCRIPTION_LIMIT_EXCEEDED")
    assert body["detail"]["limit"] == "active_goals"
    assert (body["detail"]["allowed"], body["detail"]["used"]) == (2, 2)
    assert len(await goals_of(api, headers)) == 2


async def test_completing_or_archiving_frees_a_slot_and_reactivating_takes_one(api) -> None:
    headers = await api.user()
    first = await create(api, headers)
    second = await create(api, headers)
    await api.client.patch(f"{GOALS}/{first['id']}", headers=headers, json={"status": "archived"})
    third = await create(api, headers, title="Third")
    await api.client.post(
        f"{GOALS}/{second['id']}/progress", headers=headers, json={"progress": 100}
    )
    await create(api, headers, title="Fourth")
    response = await api.client.patch(
        f"{GOALS}/{first['id']}", headers=headers, json={"status": "active"}
    )
    await assert_error(response, 403, "SUBSCRIPTION_LIMIT_EXCEEDED")
    await api.client.delete(f"{GOALS}/{third['id']}", headers=headers)
    response = await api.client.patch(
        f"{GOALS}/{first['id']}", headers=headers, json={"status": "active"}
    )
    assert response.status_code == 200 and (await response.get_json())["status"] == "active"


async def test_premium_users_are_unlimited(api) -> None:
    headers = await api.user()
    await set_tier(api, headers, "premium_yearly")
    for n in range(5):
        await create(api, headers, title=f"Goal {n}")
    assert len(await goals_of(api, headers, "?status=active")) == 5


async def test_subscription_shows_active_goal_usage(api) -> None:
    headers = await api.user()
    await create(api, headers)
    body = await (await api.client.get("/api/v1/subscription", headers=headers)).get_json()
    (limit,) = [lim for lim in body["limits"] if lim["name"] == "active_goals"]
    assert (limit["limit"], limit["used"], limit["remaining"], limit["period"]) == (2, 1, 1, "none")


async def test_parallel_creates_never_exceed_the_limit(api) -> None:
    headers = await api.user()

    async def one(n: int) -> int:
        response = await api.client.post(GOALS, headers=headers, json={"title": f"Goal {n}"})
        return response.status_code

    statuses = await asyncio.gather(*(one(n) for n in range(8)))
    assert sorted(statuses) == [201, 201] + [403] * 6
    assert len(await goals_of(api, headers)) == 2


async def test_parallel_creates_with_tasks_never_exceed_the_limit(api) -> None:
    headers = await api.user()
    await create(api, headers)

    async def one(n: int) -> int:
        body = {"title": f"Goal {n}", "tasks": [{"title": "a"}, {"title": "b"}]}
        return (await api.client.post(GOALS, headers=headers, json=body)).status_code

    statuses = await asyncio.gather(*(one(n) for n in range(6)))
    assert sorted(statuses) == [201] + [403] * 5
    goals = await goals_of(api, headers)
    assert len(goals) == 2 and sum(len(g["tasks"]) for g in goals) == 2


async def test_parallel_reactivations_never_exceed_the_limit(api) -> None:
    headers = await api.user()
    await create(api, headers)
    archived = []
    for n in range(4):
        goal = await create(api, headers, title=f"Old {n}")
        await api.client.patch(
            f"{GOALS}/{goal['id']}", headers=headers, json={"status": "archived"}
        )
        archived.append(goal)

    async def reactivate(goal: dict) -> int:
        response = await api.client.patch(
            f"{GOALS}/{goal['id']}", headers=headers, json={"status": "active"}
        )
        return response.status_code

    statuses = await asyncio.gather(*(reactivate(g) for g in archived))
    assert sorted(statuses) == [200, 403, 403, 403]
    assert len(await goals_of(api, headers, "?status=active")) == 2


async def test_two_users_limits_are_independent(api) -> None:
    ada, bob = await api.user("ada@example.com"), await api.user("bob@example.com")
    for headers in (ada, bob, ada, bob):
        await create(api, headers)
    await assert_error(
        await api.client.post(GOALS, headers=bob, json={"title": "x"}),
        403,
        "SUBSCRIPTION_LIMIT_EXCEEDED",
    )


async def _premium_with_goals(api, n: int = 4) -> tuple[dict, list[dict]]:
    headers = await api.user()
    await set_tier(api, headers, "premium_monthly")
    goals = [
        await create(api, headers, title=f"Goal {i}", tasks=[{"title": "t"}]) for i in range(n)
    ]
    return headers, goals


async def test_downgrade_freezes_the_newest_active_goals_and_keeps_them(api) -> None:
    headers, goals = await _premium_with_goals(api, 4)
    done = await create(api, headers, title="Done")
    await api.client.patch(f"{GOALS}/{done['id']}", headers=headers, json={"status": "completed"})
    await set_tier(api, headers, "free")
    listed = {g["title"]: g for g in await goals_of(api, headers)}
    assert len(listed) == 5
    assert [listed[f"Goal {i}"]["frozen"] for i in range(4)] == [False, False, True, True]
    assert listed["Done"]["frozen"] is False
    frozen_goal = listed["Goal 3"]
    assert frozen_goal["tasks"] == goals[3]["tasks"]
    # A free user with two usable active goals still cannot create a third.
    await assert_error(
        await api.client.post(GOALS, headers=headers, json={"title": "x"}),
        403,
        "SUBSCRIPTION_LIMIT_EXCEEDED",
    )


async def test_frozen_goals_are_read_only(api) -> None:
    headers, goals = await _premium_with_goals(api, 3)
    await set_tier(api, headers, "free")
    frozen = goals[2]
    gid, tid = frozen["id"], frozen["tasks"][0]["id"]
    writes = [
        ("patch", f"{GOALS}/{gid}", {"title": "changed"}),
        ("patch", f"{GOALS}/{gid}", {"status": "archived"}),
        ("post", f"{GOALS}/{gid}/progress", {"progress": 50}),
        ("post", f"{GOALS}/{gid}/tasks", {"title": "new"}),
        ("patch", f"{GOALS}/{gid}/tasks/{tid}", {"done": True}),
        ("delete", f"{GOALS}/{gid}/tasks/{tid}", None),
    ]
    for method, path, body in writes:
        response = await getattr(api.client, method)(path, headers=headers, json=body)
        error = await assert_error(response, 403, "SUBSCRIPTION_LIMIT_EXCEEDED")
        assert error["detail"] == {"limit": "active_goals", "frozen": True}
    got = await (await api.client.get(f"{GOALS}/{gid}", headers=headers)).get_json()
    assert got["title"] == frozen["title"] and got["frozen"] is True
    assert got["tasks"] == frozen["tasks"] and got["updated_at"] >= frozen["updated_at"]
    # Deleting stays possible: freezing never traps a user's data.
    assert (await api.client.delete(f"{GOALS}/{gid}", headers=headers)).status_code == 204


async def test_upgrade_unfreezes_everything(api) -> None:
    headers, _goals = await _premium_with_goals(api, 4)
    await set_tier(api, headers, "free")
    await set_tier(api, headers, "premium_yearly")
    assert not any(g["frozen"] for g in await goals_of(api, headers))
    await create(api, headers, title="Fifth")
    # Down again: the slots are handed out afresh, the oldest two stay usable.
    await set_tier(api, headers, "free")
    frozen = {g["title"]: g["frozen"] for g in await goals_of(api, headers)}
    assert frozen == {
        "Goal 0": False,
        "Goal 1": False,
        "Goal 2": True,
        "Goal 3": True,
        "Fifth": True,
    }


async def test_archiving_a_usable_goal_lets_a_downgraded_user_create_again(api) -> None:
    headers, goals = await _premium_with_goals(api, 3)
    await set_tier(api, headers, "free")
    await api.client.patch(
        f"{GOALS}/{goals[0]['id']}", headers=headers, json={"status": "archived"}
    )
    await create(api, headers, title="New")
    await assert_error(
        await api.client.post(GOALS, headers=headers, json={"title": "x"}),
        403,
        "SUBSCRIPTION_LIMIT_EXCEEDED",
    )


async def test_the_database_refuses_a_second_holder_of_a_slot(app, api) -> None:
    """The guarantee is the unique (owner, slot) index, not only the code path."""
    import peewee
    import pytest

    headers = await api.user()
    goal = await create(api, headers)
    async with app.app_context():
        row = await Goal.select().where(Goal.id == goal["id"]).aio_get()
        assert row.active_slot == 1
        with pytest.raises(peewee.IntegrityError):
            await Goal.aio_create(owner_id=row.owner_id, title="dup", active_slot=1)
    assert runtime(app).tier_limits["active_goals"].values["free"] == 2
