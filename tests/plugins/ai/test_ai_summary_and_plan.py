"""``POST /summary`` and ``POST /create-plan``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

from ai_support import BASE, AiApi
from auth_support import assert_error
from quart import Quart

TEXT = (
    "Dynamic programming solves problems by combining solutions to overlapping subproblems. "
    "It stores the results of subproblems in a table. Memoisation is the top-down form of "
    "dynamic programming. Tabulation fills the table bottom-up. The knapsack problem is a "
    "classic dynamic programming example. Many people find the topic hard at first."
)


async def test_a_text_summary_is_extractive_and_shorter(api) -> None:
    headers = await api.user()
    result = await api.post(headers, f"{BASE}/summary", {"text": TEXT})
    assert result["source"] == "text" and result["method"] == "extractive"
    assert 0 < len(result["summary"]) < len(TEXT)
    assert "dynamic programming" in result["summary"].lower()
    one = await api.post(headers, f"{BASE}/summary", {"text": TEXT, "max_sentences": 1})
    assert one["summary"].count(".") == 1


async def test_a_course_summary_reads_the_course_through_resolve_object(api) -> None:
    headers = await api.user()
    reply = await api.chat(headers, "I want to learn Data Structures in 6 weeks")
    course_id = reply["actions"][0]["result"]["id"]
    result = await api.post(headers, f"{BASE}/summary", {"course_id": course_id})
    assert result["source"] == "course" and result["course_id"] == course_id
    assert "Data Structures" in result["summary"] and "Next up" in result["summary"]
    other = await api.user("bob@example.com")
    response = await api.client.post(
        f"{BASE}/summary", headers=other, json={"course_id": course_id}
    )
    await assert_error(response, 404, "RESOURCE_NOT_FOUND")


async def test_summary_needs_exactly_one_source(api) -> None:
    headers = await api.user()
    for body in ({}, {"text": "a b c", "course_id": "00000000-0000-0000-0000-000000000000"}):
        response = await api.client.post(f"{BASE}/summary", headers=headers, json=body)
        await assert_error(response, 422, "VALIDATION_ERROR")


async def test_a_course_plan_suggests_blocks_and_creates_nothing(api) -> None:
    headers = await api.user()
    reply = await api.chat(headers, "I want to learn Data Structures in 6 weeks")
    course = reply["actions"][0]["result"]
    start = date.today() + timedelta(days=1)
    plan = await api.post(
        headers, f"{BASE}/create-plan", {"course_id": course["id"], "start_date": start.isoformat()}
    )
    assert plan["source"] == {"kind": "course", "id": course["id"], "title": "Data Structures"}
    assert plan["applied"] is False and plan["actions"] == []
    assert len(plan["weeks"]) == 6 and len(plan["blocks"]) == 18  # 3 sessions a week
    first_topic = course["modules"][0]["topics"][0]["title"]
    assert plan["blocks"][0]["title"] == f"Study: {first_topic}"
    end = (start + timedelta(weeks=7)).isoformat()
    assert await api.blocks(headers, start.isoformat(), end) == []


async def test_apply_creates_the_blocks_through_the_schedule_plugin(api) -> None:
    headers = await api.user()
    reply = await api.chat(headers, "I want to pass my exam in 2 weeks")
    goal_id = reply["actions"][0]["result"]["id"]
    start = date.today() + timedelta(days=1)
    body = {
        "goal_id": goal_id,
        "apply": True,
        "start_date": start.isoformat(),
        "sessions_per_week": 2,
    }
    plan = await api.post(headers, f"{BASE}/create-plan", body)
    assert plan["applied"] is True
    assert plan["actions"] and all(a["status"] == "ok" for a in plan["actions"])
    end = (start + timedelta(weeks=3)).isoformat()
    created = await api.blocks(headers, start.isoformat(), end)
    assert len(created) == len(plan["blocks"]) == len(plan["actions"])
    assert created[0]["goal_id"] == goal_id


async def test_apply_without_the_schedule_plugin_says_so(make_ai_app: Callable[..., Quart]) -> None:
    app = make_ai_app(without=("schedule",))
    async with app.test_app():
        api = AiApi(app)
        headers = await api.user()
        reply = await api.chat(headers, "I want to pass my exam in 2 weeks")
        goal_id = reply["actions"][0]["result"]["id"]
        plan = await api.post(headers, f"{BASE}/create-plan", {"goal_id": goal_id, "apply": True})
        assert plan["applied"] is False
        assert [a["status"] for a in plan["actions"]] == ["unavailable"]
        assert "not enabled" in plan["note"]


async def test_a_plan_for_someone_elses_goal_is_404(api) -> None:
    ada = await api.user()
    reply = await api.chat(ada, "I want to pass my exam in 2 weeks")
    bob = await api.user("bob@example.com")
    response = await api.client.post(
        f"{BASE}/create-plan", headers=bob, json={"goal_id": reply["actions"][0]["result"]["id"]}
    )
    await assert_error(response, 404, "RESOURCE_NOT_FOUND")
    response = await api.client.post(f"{BASE}/create-plan", headers=bob, json={})
    await assert_error(response, 422, "VALIDATION_ERROR")
