"""The ``ai_courses`` limit: 2 on free, atomic under concurrency; freeze and unfreeze."""

from __future__ import annotations

import asyncio

from auth_support import assert_error
from courses_support import BASE, sample_course, topic_ids

from maigie_core.runtime import runtime

PARALLEL = 12


def ai(title: str = "AI course") -> dict:
    return sample_course(title, ai_generated=True)


async def _set_tier(api, user_id: str, tier: str) -> None:
    admin = await api.admin(f"root-{tier}@example.com")
    response = await api.client.patch(
        f"/api/v1/admin/users/{user_id}", headers=admin, json={"tier": tier}
    )
    assert response.status_code == 200, await response.get_json()


async def test_free_users_hold_at_most_two_ai_courses(api) -> None:
    headers = await api.user()
    await api.create(headers, ai("one"))
    await api.create(headers, ai("two"))
    response = await api.client.post(BASE, headers=headers, json=ai("three"))
    error = await assert_error(response, 403, "SUBSCRIPTION_LIMIT_EXCEEDED")
    assert error["detail"]["limit"] == "ai_courses"
    assert error["detail"]["allowed"] == 2 and error["detail"]["used"] == 2
    assert len((await api.list(headers))["items"]) == 2
    await api.create(headers, sample_course("hand-made"))  # not AI-generated: no limit


async def test_the_limit_is_shown_with_its_usage(api) -> None:
    headers = await api.user()
    await api.create(headers, ai())
    body = await (await api.client.get("/api/v1/subscription", headers=headers)).get_json()
    limit = next(item for item in body["limits"] if item["name"] == "ai_courses")
    assert (limit["limit"], limit["used"], limit["remaining"]) == (2, 1, 1)
    assert limit["tiers"] == {"free": 2, "premium_monthly": None, "premium_yearly": None}


async def test_premium_users_are_unlimited(api) -> None:
    headers = await api.user()
    await _set_tier(api, await api.user_id(headers), "premium_monthly")
    for i in range(4):
        await api.create(headers, ai(f"c{i}"))


async def test_parallel_creates_never_exceed_the_limit(api) -> None:
    headers = await api.user()
    responses = await asyncio.gather(
        *(api.client.post(BASE, headers=headers, json=ai(f"c{i}")) for i in range(PARALLEL))
    )
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201, 201] + [403] * (PARALLEL - 2)
    assert len((await api.list(headers, "ai_generated=true"))["items"]) == 2


async def test_parallel_creates_of_two_users_are_independent(api) -> None:
    first, second = await api.user("a@example.com"), await api.user("b@example.com")
    responses = await asyncio.gather(
        *(
            api.client.post(BASE, headers=h, json=ai(f"c{i}"))
            for i in range(PARALLEL // 2)
            for h in (first, second)
        )
    )
    assert sorted(r.status_code for r in responses).count(201) == 4


async def _premium_with_four(api):
    headers = await api.user()
    user_id = await api.user_id(headers)
    await _set_tier(api, user_id, "premium_yearly")
    made = [await api.create(headers, ai(f"c{i}")) for i in range(4)]
    plain = await api.create(headers, sample_course("plain"))
    return headers, user_id, made, plain


async def test_downgrade_freezes_the_newest_ai_courses(api, events) -> None:
    headers, user_id, made, plain = await _premium_with_four(api)
    events.clear()
    await _set_tier(api, user_id, "free")
    frozen = {c["id"]: c["frozen"] for c in (await api.list(headers))["items"]}
    assert [frozen[c["id"]] for c in made] == [False, False, True, True]
    assert frozen[plain["id"]] is False
    updated = [e for e in events.named("course.updated") if e.channel == f"user:{user_id}"]
    assert sorted(e.data["id"] for e in updated) == sorted(c["id"] for c in made[2:])
    assert all(e.data["frozen"] for e in updated)


async def test_a_frozen_course_is_read_only(api) -> None:
    headers, user_id, made, _ = await _premium_with_four(api)
    await _set_tier(api, user_id, "free")
    course = made[3]
    assert (await api.get(headers, course["id"]))["frozen"] is True
    for response in (
        await api.client.patch(f"{BASE}/{course['id']}", headers=headers, json={"title": "x"}),
        await api.client.put(
            f"{BASE}/{course['id']}/topics/{topic_ids(course)[0]}/done", headers=headers
        ),
        await api.client.post(f"{BASE}/{course['id']}/share", headers=headers),
        await api.client.post(BASE, headers=headers, json=ai("fifth")),
    ):
        error = await assert_error(response, 403, "SUBSCRIPTION_LIMIT_EXCEEDED")
        assert error["detail"]["limit"] == "ai_courses"
    assert (await api.get(headers, course["id"]))["title"] == course["title"]
    await api.patch(headers, made[0]["id"], {"title": "still writable"})


async def test_deleting_a_course_unfreezes_the_next_that_fits(api) -> None:
    headers, user_id, made, _ = await _premium_with_four(api)
    await _set_tier(api, user_id, "free")
    assert (await api.client.delete(f"{BASE}/{made[3]['id']}", headers=headers)).status_code == 204
    assert (await api.get(headers, made[2]["id"]))["frozen"] is True  # 3 held, 2 allowed
    assert (await api.client.delete(f"{BASE}/{made[0]['id']}", headers=headers)).status_code == 204
    assert (await api.get(headers, made[2]["id"]))["frozen"] is False


async def test_upgrade_unfreezes_everything(api) -> None:
    headers, user_id, made, _ = await _premium_with_four(api)
    await _set_tier(api, user_id, "free")
    await _set_tier(api, user_id, "premium_monthly")
    assert not any(c["frozen"] for c in (await api.list(headers))["items"])
    await api.patch(headers, made[3]["id"], {"title": "writable again"})


async def test_tier_change_through_the_service_freezes_too(api, app) -> None:
    from maigie_core.auth.state import auth_state
    from maigie_core.tiers.subscriptions import change_tier

    headers, user_id, made, _ = await _premium_with_four(api)
    async with app.app_context():
        await change_tier(auth_state(), user_id, "free", actor_id=None, source="cli")
    assert [(await api.get(headers, c["id"]))["frozen"] for c in made] == [False, False, True, True]
    assert runtime(app).tier_limits["ai_courses"].values["free"] == 2
