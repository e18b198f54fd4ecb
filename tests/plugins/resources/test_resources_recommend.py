"""POST /resources/recommend: contexts, ranking with reasons, the daily cap, the event."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from auth_support import assert_error
from resources_support import Resources, StudyObjects, user_id

from maigie_core.runtime import runtime
from maigie_core.tiers import limits as tier_limits
from maigie_core.tiers.periods import current_period


@pytest.fixture
async def shelf(ada: Resources) -> Resources:
    await ada.create(title="Breadth-first search explained", tags=["graphs"], type="video")
    await ada.create(title="Dijkstra shortest paths", description="Weighted graph traversal")
    await ada.create(title="Binary search trees", description="Insertion, deletion, balancing")
    await ada.create(title="French cooking", description="Sauces and knife skills")
    await ada.create(title="Graph coloring", description="Greedy colouring of a graph")
    return ada


def titles(body: dict) -> list[str]:
    return [item["resource"]["title"] for item in body["items"]]


async def test_a_topic_ranks_title_matches_first_with_reasons(shelf: Resources) -> None:
    body = await shelf.recommend(topic="graph traversal")
    assert titles(body)[0] in ("Dijkstra shortest paths", "Graph coloring")
    assert "French cooking" not in titles(body)
    assert set(titles(body)) == {
        "Dijkstra shortest paths",
        "Graph coloring",
        "Breadth-first search explained",
    }
    first = body["items"][0]
    assert first["matched_terms"] and first["reason"].startswith("Matches ")
    assert 0 < first["score"] <= 1.25
    scores = [item["score"] for item in body["items"]]
    assert scores == sorted(scores, reverse=True)
    assert body["context"] == {
        "kind": "topic",
        "id": None,
        "title": "graph traversal",
        "terms": ["graph", "traversal"],
    }


async def test_text_context_and_limit(shelf: Resources) -> None:
    body = await shelf.recommend(text="I keep failing at trees and graphs in my exam", limit=2)
    assert len(body["items"]) == 2
    assert body["context"]["kind"] == "text"


async def test_a_course_context_reads_titles_and_topics(
    shelf: Resources, api, study: StudyObjects
) -> None:
    course = study.course(
        await user_id(api, shelf),
        "Algorithms",
        [("Graphs", ["Breadth-first search", "Shortest paths"]), ("Trees", ["Binary trees"])],
    )
    body = await shelf.recommend(course_id=course)
    assert body["context"]["kind"] == "course" and body["context"]["title"] == "Algorithms"
    assert "French cooking" not in titles(body)
    assert {"Breadth-first search explained", "Dijkstra shortest paths"} <= set(titles(body))
    assert 'from the course "Algorithms"' in body["items"][0]["reason"]


async def test_a_resource_linked_to_the_course_gets_a_bonus(
    ada: Resources, api, study: StudyObjects
) -> None:
    course = study.course(await user_id(api, ada), "Graphs", [("Basics", ["Graphs"])])
    await ada.create(title="Graphs for beginners")
    linked = await ada.create(title="Graphs in practice", course_id=course)
    body = await ada.recommend(course_id=course)
    assert body["items"][0]["resource"]["id"] == linked["id"]
    assert "linked to this course" in body["items"][0]["reason"]


async def test_a_goal_context_reads_title_and_tasks(
    shelf: Resources, api, study: StudyObjects
) -> None:
    goal = study.goal(
        await user_id(api, shelf), "Pass the algorithms exam", ["Revise search trees"]
    )
    body = await shelf.recommend(goal_id=goal)
    assert titles(body)[0] == "Binary search trees"
    assert body["context"]["kind"] == "goal"


async def test_unknown_or_hidden_course_or_goal_is_404(
    shelf: Resources, bob: Resources, api, study: StudyObjects
) -> None:
    course = study.course(await user_id(api, shelf), "Algorithms", [])
    goal = study.goal(await user_id(api, shelf), "Exam", [])
    for body in ({"course_id": course}, {"goal_id": goal}, {"course_id": str(uuid.uuid4())}):
        error = await bob.recommend(expect=404, **body)
        assert error["code"] == "RESOURCE_NOT_FOUND"


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"topic": "graphs", "text": "graphs"},
        {"course_id": str(uuid.uuid4()), "goal_id": str(uuid.uuid4())},
        {"course_id": "not-a-uuid"},
        {"topic": ""},
        {"topic": "x" * 201},
        {"topic": "graphs", "limit": 0},
        {"topic": "graphs", "limit": 51},
        {"topic": "graphs", "extra": True},
    ],
)
async def test_exactly_one_valid_context_else_422(ada: Resources, body: dict) -> None:
    assert (await ada.recommend(expect=422, **body))["code"] == "VALIDATION_ERROR"


async def test_a_context_without_searchable_words_recommends_nothing(shelf: Resources) -> None:
    body = await shelf.recommend(topic="the and of ***")
    assert body["items"] == [] and body["context"]["terms"] == []


async def test_free_users_have_a_daily_cap(shelf: Resources, api) -> None:
    for _ in range(10):
        await shelf.recommend(topic="graphs")
    error = await shelf.recommend(expect=403, topic="graphs")
    assert error["code"] == "SUBSCRIPTION_LIMIT_EXCEEDED"
    assert error["detail"]["limit"] == "daily_recommendations"
    assert error["detail"]["allowed"] == 10 and error["detail"]["period"] == "day"
    response = await api.client.get("/api/v1/subscription", headers=shelf.headers)
    limit = next(
        item
        for item in (await response.get_json())["limits"]
        if item["name"] == "daily_recommendations"
    )
    assert (limit["used"], limit["remaining"]) == (10, 0)


async def test_the_cap_resets_the_next_utc_day(shelf: Resources, monkeypatch) -> None:
    for _ in range(10):
        await shelf.recommend(topic="graphs")
    await shelf.recommend(expect=403, topic="graphs")
    tomorrow = datetime.now(UTC) + timedelta(days=1)
    monkeypatch.setattr(
        tier_limits, "current_period", lambda period: current_period(period, tomorrow)
    )
    assert (await shelf.recommend(topic="graphs"))["items"]


async def test_a_404_context_does_not_use_the_cap(ada: Resources) -> None:
    for _ in range(12):
        await ada.recommend(expect=404, course_id=str(uuid.uuid4()))
    await ada.recommend(topic="graphs")


async def test_premium_users_have_no_cap(api, root: Resources) -> None:
    premium = Resources(api, await api.user("prem@example.com"))
    response = await api.client.patch(
        f"/api/v1/admin/users/{await user_id(api, premium)}",
        headers=root.headers,
        json={"tier": "premium_monthly"},
    )
    assert response.status_code == 200, await response.get_json()
    for _ in range(12):
        await premium.recommend(topic="graphs")


async def test_recommending_emits_an_event(shelf: Resources, app) -> None:
    seen = []

    async def sink(event) -> None:
        seen.append(event)

    runtime(app).events.add_sink(sink)
    body = await shelf.recommend(topic="graph")
    event = next(e for e in seen if e.name == "resource.recommended")
    assert event.data["context"] == {"kind": "topic", "id": None, "title": "graph"}
    assert event.data["resource_ids"] == [item["resource"]["id"] for item in body["items"]]


async def test_recommend_route_needs_exactly_json(ada: Resources) -> None:
    response = await ada.client.post(
        "/api/v1/resources/recommend", data="topic=graphs", headers=ada.headers
    )
    assert response.status_code in (400, 415, 422)
    await assert_error(response, response.status_code, (await response.get_json())["code"])
