"""``POST /chat`` end to end with the real plugins: each intent creates what it says."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from ai_support import BASE, names


def today_in(zone: str = "UTC") -> date:
    return datetime.now(ZoneInfo(zone)).date()


async def test_learning_data_structures_in_6_weeks_creates_a_course_and_a_goal(api) -> None:
    headers = await api.user()
    reply = await api.chat(headers, "I want to learn Data Structures in 6 weeks")
    assert names(reply) == [("create_course", "ok"), ("create_goal", "ok")]
    courses = await api.courses(headers)
    assert len(courses) == 1
    course = courses[0]
    assert course["title"] == "Data Structures" and course["ai_generated"] is True
    assert len(course["modules"]) >= 4
    assert all(module["topics"] for module in course["modules"])
    goals = await api.goals(headers)
    assert len(goals) == 1
    assert goals[0]["target_date"] == (today_in() + timedelta(weeks=6)).isoformat()
    assert goals[0]["course_id"] == course["id"]
    assert "Data Structures" in reply["reply"] and "6 weeks" in reply["reply"]


async def test_learning_phrasings_create_a_course_each(api) -> None:
    headers = await api.premium()
    phrasings = {
        "Teach me Spanish over the next 2 months": "Spanish",
        "I'd like to get better at chess by the end of the month": "Chess",
        "Create a course on Machine Learning": "Machine Learning",
        "help me learn linear algebra in 4 weeks please": "Linear Algebra",
    }
    for message, title in phrasings.items():
        reply = await api.chat(headers, message)
        assert reply["actions"][0]["name"] == "create_course", (message, reply)
        assert reply["actions"][0]["status"] == "ok", reply
        assert reply["actions"][0]["result"]["title"] == title
    assert sorted(c["title"] for c in await api.courses(headers)) == sorted(phrasings.values())


async def test_a_course_without_a_deadline_gets_no_goal(api) -> None:
    headers = await api.user()
    reply = await api.chat(headers, "Create a course on Machine Learning")
    assert names(reply) == [("create_course", "ok")]
    assert await api.goals(headers) == []
    assert "when you'd like to finish" in reply["reply"]


async def test_exam_goal_phrasings_create_goals_with_deadlines(api) -> None:
    headers = await api.premium()
    today = today_in()
    cases = [
        ("I want to pass my exam in 3 weeks", "Pass my exam", today + timedelta(weeks=3)),
        ("My goal is to read 5 papers in 10 days", "Read 5 papers", today + timedelta(days=10)),
        (
            "I need to study for my calculus final in 2 weeks",
            "Prepare for my calculus final",
            today + timedelta(weeks=2),
        ),
        (
            f"I have to submit my thesis by {(today + timedelta(days=40)).isoformat()}",
            "Submit my thesis",
            today + timedelta(days=40),
        ),
    ]
    for message, title, due in cases:
        reply = await api.chat(headers, message)
        assert names(reply) == [("create_goal", "ok")], (message, reply)
        assert reply["actions"][0]["result"]["title"] == title
        assert reply["actions"][0]["result"]["target_date"] == due.isoformat()


async def test_a_goal_without_a_date_is_asked_for_then_created(api) -> None:
    headers = await api.user()
    first = await api.chat(headers, "I want to pass my driving theory test")
    assert first["actions"] == [] and "By when" in first["reply"]
    assert await api.goals(headers) == []
    second = await api.chat(headers, "in 3 weeks", first["conversation_id"])
    assert names(second) == [("create_goal", "ok")]
    goal = second["actions"][0]["result"]
    assert goal["title"] == "Pass my driving theory test"
    assert goal["target_date"] == (today_in() + timedelta(weeks=3)).isoformat()


async def test_forget_that_drops_the_pending_question(api) -> None:
    headers = await api.user()
    first = await api.chat(headers, "I want to pass my exam")
    forgot = await api.chat(headers, "Forget that", first["conversation_id"])
    assert forgot["actions"] == [] and "forgotten" in forgot["reply"]
    after = await api.chat(headers, "in 3 weeks", first["conversation_id"])
    assert after["actions"] == [] and "not sure" in after["reply"]
    assert await api.goals(headers) == []
    detail = await api.get(headers, f"{BASE}/conversations/{first['conversation_id']}")
    assert detail["context_start"] == 4  # the two messages before and "forget that" + reply


async def test_scheduling_phrasings_create_blocks_at_the_right_local_time(api) -> None:
    headers = await api.user()
    response = await api.client.patch(
        "/api/v1/auth/me", headers=headers, json={"timezone": "America/New_York"}
    )
    assert response.status_code == 200
    tomorrow = today_in("America/New_York") + timedelta(days=1)
    reply = await api.chat(headers, "Schedule 2 hours of reading tomorrow at 9am")
    assert names(reply) == [("create_block", "ok")], reply
    block = reply["actions"][0]["result"]
    assert block["title"] == "Reading"
    start = datetime.fromisoformat(block["start_at"])
    end = datetime.fromisoformat(block["end_at"])
    local = start.astimezone(ZoneInfo("America/New_York"))
    assert (local.date(), local.hour, local.minute) == (tomorrow, 9, 0)
    assert end - start == timedelta(hours=2)


async def test_other_scheduling_phrasings(api) -> None:
    cases = [
        ("Block 90 minutes for calculus on Monday at 14:00", "Calculus", 90, 14),
        (
            "Put 45 minutes of Spanish practice on my calendar tomorrow at 7:30 pm",
            "Spanish practice",
            45,
            19,
        ),
        ("schedule organic chemistry from 6 to 8pm on Saturday", "Organic chemistry", 120, 18),
    ]
    for n, (message, title, minutes, hour) in enumerate(cases):
        # a user each: on a Friday "tomorrow at 7:30 pm" overlaps "6 to 8pm on Saturday"
        headers = await api.user(f"planner{n}@example.com")
        reply = await api.chat(headers, message)
        assert names(reply) == [("create_block", "ok")], (message, reply)
        block = reply["actions"][0]["result"]
        start, end = (
            datetime.fromisoformat(block["start_at"]),
            datetime.fromisoformat(block["end_at"]),
        )
        assert block["title"] == title
        assert (end - start) == timedelta(minutes=minutes) and start.hour == hour


async def test_a_time_is_asked_for_when_missing(api) -> None:
    headers = await api.user()
    first = await api.chat(headers, "Schedule 2 hours of reading")
    assert first["actions"] == [] and "When should I schedule" in first["reply"]
    second = await api.chat(headers, "tomorrow at 10am", first["conversation_id"])
    assert names(second) == [("create_block", "ok")]


async def test_reminder_phrasings_create_reminders(api) -> None:
    headers = await api.user()
    for message, text in [
        ("Remind me to review chapter 5 on Friday", "Review chapter 5"),
        ("remind me in 2 hours to call the library", "Call the library"),
        ("Set a reminder for tomorrow at 8 to submit the essay", "Submit the essay"),
        ("Don't let me forget to email my tutor next Monday at 10:30", "Email my tutor"),
    ]:
        reply = await api.chat(headers, message)
        assert names(reply) == [("create_reminder", "ok")], (message, reply)
        assert reply["actions"][0]["result"]["message"] == text
    listed = await api.get(headers, "/api/v1/reminders")
    assert len(listed["items"]) == 4


async def test_resource_phrasings_recommend(api) -> None:
    headers = await api.user()
    await api.post(
        headers,
        "/api/v1/resources",
        {
            "title": "Graph algorithms explained",
            "url": "https://example.com/graphs",
            "type": "article",
            "description": "BFS, DFS and shortest paths",
            "tags": ["graphs", "algorithms"],
        },
        status=201,
    )
    for message in (
        "Give me resources on graph algorithms",
        "Can you recommend some videos about graph algorithms?",
        "What should I read to learn graph algorithms?",
    ):
        reply = await api.chat(headers, message)
        assert names(reply) == [("recommend_resources", "ok")], (message, reply)
        assert reply["actions"][0]["arguments"]["topic"] == "graph algorithms"
        assert "Graph algorithms explained" in reply["reply"]


async def test_summarise_this_is_local_and_takes_no_action(api) -> None:
    headers = await api.user()
    text = (
        "Binary search trees keep keys in order. Each node has a left and a right subtree. "
        "Searching a balanced binary search tree takes logarithmic time. Unbalanced trees "
        "degrade to linked lists. Rotations keep AVL trees balanced. Red-black trees use "
        "colours to stay balanced."
    )
    reply = await api.chat(headers, f"Summarise this: {text}")
    assert reply["actions"] == []
    assert "Summary" in reply["reply"] and "balanced" in reply["reply"]
    assert len(reply["reply"]) < len(text) + 60


async def test_how_am_i_doing_reports_goals_and_courses(api) -> None:
    headers = await api.user()
    await api.chat(headers, "I want to learn Data Structures in 6 weeks")
    for message in ("How am I doing?", "Am I on track?", "show me my progress"):
        reply = await api.chat(headers, message)
        assert names(reply) == [("list_goals", "ok"), ("list_courses", "ok")], reply
        assert "Learn Data Structures" in reply["reply"] and "on track" in reply["reply"]
        assert "Data Structures" in reply["reply"]


async def test_plan_my_week_plans_around_active_goals_for_premium(api) -> None:
    headers = await api.premium()
    due = (today_in() + timedelta(weeks=3)).isoformat()
    body = {"title": "Pass my exam", "target_date": due, "tasks": [{"title": "Past paper 1"}]}
    await api.post(headers, "/api/v1/goals", body, status=201)
    reply = await api.chat(headers, "Plan my week")
    assert [n for n, _ in names(reply)] == ["list_goals", "plan_week"], reply
    assert reply["actions"][1]["status"] == "ok", reply
    assert "Past paper 1" in reply["reply"]


async def test_plan_my_week_is_premium_in_the_schedule_plugin(api) -> None:
    headers = await api.user()
    await api.chat(headers, "I want to pass my exam in 3 weeks")
    reply = await api.chat(headers, "plan my week")
    assert names(reply)[-1] == ("plan_week", "error")
    assert reply["actions"][-1]["error"]["code"] == "SUBSCRIPTION_LIMIT_EXCEEDED"
    assert "Premium" in reply["reply"]


async def test_nonsense_gets_a_question_and_creates_nothing(api) -> None:
    headers = await api.user()
    for message in ("asdf qwerty", "The weather is purple", "What is a binary tree?", "42"):
        reply = await api.chat(headers, message)
        assert reply["actions"] == [], (message, reply)
        assert "?" in reply["reply"]
    assert await api.courses(headers) == [] and await api.goals(headers) == []


async def test_a_free_users_third_ai_course_is_refused_by_the_courses_limit(api) -> None:
    headers = await api.user()
    await api.chat(headers, "I want to learn Python in 4 weeks")
    await api.chat(headers, "Create a course on Rust")
    reply = await api.chat(headers, "I want to learn Go in 4 weeks")
    assert names(reply) == [("create_course", "error")]
    error = reply["actions"][0]["error"]
    assert (
        error["code"] == "SUBSCRIPTION_LIMIT_EXCEEDED" and error["detail"]["limit"] == "ai_courses"
    )
    assert "couldn't create a course on Go" in reply["reply"] and "Premium" in reply["reply"]
    assert len(await api.courses(headers)) == 2
    assert len(await api.goals(headers)) == 1  # no goal for the refused course


async def test_chat_requires_a_user_and_a_valid_body(api) -> None:
    response = await api.client.post(f"{BASE}/chat", json={"message": "hi"})
    assert response.status_code == 401
    headers = await api.user()
    for body in (
        {},
        {"message": ""},
        {"message": "hi", "extra": 1},
        {"message": "hi", "conversation_id": "x"},
    ):
        response = await api.client.post(f"{BASE}/chat", headers=headers, json=body)
        assert response.status_code == 422, body
        assert (await response.get_json())["code"] == "VALIDATION_ERROR"


async def test_dates_past_the_calendar_are_not_understood_instead_of_a_500(api) -> None:
    """Found by fuzzing a served app: each message below answered 500 (OverflowError).

    A date or span the API cannot take (``maigie_core.instants``) is not a date to the
    assistant: it asks, as for any detail it did not get, and creates nothing with it.
    """
    headers = await api.premium()
    messages = [
        "I want to learn Data Structures in 99999999 weeks",
        "I want to pass my exam in 520000 weeks",
        "Schedule 2 hours of reading on December 31 9999 at 11pm",
        "Schedule 2 hours of reading on 9999-12-31 at 11pm",
        "Remind me to stretch in 99999999999 minutes",
    ]
    for message in messages:
        reply = await api.chat(headers, message)
        assert reply["reply"], message
        for action in reply["actions"]:
            result = action.get("result") or {}
            for field in ("target_date", "start_at", "remind_at"):
                assert not str(result.get(field) or "").startswith("9"), (message, action)
    assert all(goal["target_date"] is None for goal in await api.goals(headers))
