"""Events after commit, channel authorisation, resolve_object, AI actions, account data."""

from __future__ import annotations

import json

import maigie_courses
from auth_support import PASSWORD, assert_error
from courses_support import BASE, CourseApi, sample_course, topic_ids
from maigie_courses.models import Completion, Course, Enrollment

from maigie_core import EventSubscriber, Principal, ValidationFailed, hookimpl, resolve_object
from maigie_core.errors import SubscriptionLimitExceeded
from maigie_core.runtime import channel_allowed, runtime


async def _principal(api, headers) -> Principal:
    me = await api.me(headers)
    return Principal(id=me["id"], email=me["email"], tier=me["tier"])


# -- events -----------------------------------------------------------------------------


async def test_created_event_carries_the_rest_json(api, events) -> None:
    headers = await api.user()
    course = await api.create(headers)
    [event] = events.named("course.")
    assert event.name == "course.created"
    assert event.channel == f"user:{course['owner_id']}"
    assert dict(event.data) == course
    json.dumps(dict(event.data))  # JSON values only


async def test_subscribers_run_after_commit_and_see_the_course(make_app) -> None:
    seen: list[int] = []

    class Reader:
        @hookimpl
        def register_event_subscribers(self):
            async def read(event) -> None:
                seen.append(await Course.select().where(Course.id == event.data["id"]).aio_count())

            return [EventSubscriber("course.created", read)]

    app = make_app(plugins={"courses": maigie_courses, "reader": Reader()})
    async with app.test_app():
        api = CourseApi(app)
        await api.create(await api.user())
    assert seen == [1]


async def test_updated_event_goes_to_owner_and_members(api, events) -> None:
    headers = await api.user()
    course = await api.create(headers)
    events.clear()
    patched = await api.patch(headers, course["id"], {"title": "New"})
    owner_event, member_event = events.named("course.updated")
    assert owner_event.channel == f"user:{course['owner_id']}" and dict(owner_event.data) == patched
    assert member_event.channel == f"course:{course['id']}"
    shared = dict(member_event.data)
    assert shared["title"] == "New" and "progress" not in shared and "role" not in shared
    assert all("done" not in t for m in shared["modules"] for t in m["topics"])


async def test_deleted_event_is_just_the_id(api, events) -> None:
    headers = await api.user()
    course = await api.create(headers)
    events.clear()
    await api.client.delete(f"{BASE}/{course['id']}", headers=headers)
    assert [(e.name, e.channel, dict(e.data)) for e in events.seen] == [
        ("course.deleted", f"user:{course['owner_id']}", {"id": course["id"]}),
        ("course.deleted", f"course:{course['id']}", {"id": course["id"]}),
    ]


async def test_topic_completed_event_for_the_member_and_the_course(api, events) -> None:
    headers = await api.user()
    course = await api.create(headers)
    topic = topic_ids(course)[0]
    events.clear()
    await api.tick(headers, course["id"], topic)
    await api.tick(headers, course["id"], topic)  # already done: no second event
    data = {
        "course_id": course["id"],
        "topic_id": topic,
        "user_id": course["owner_id"],
        "done": True,
        "progress": 25,
    }
    assert [(e.name, e.channel, dict(e.data)) for e in events.seen] == [
        ("topic.completed", f"user:{course['owner_id']}", data),
        ("topic.completed", f"course:{course['id']}", data),
    ]
    events.clear()
    await api.tick(headers, course["id"], topic, done=False)
    assert [e.name for e in events.seen] == ["topic.uncompleted", "topic.uncompleted"]


async def test_failed_writes_emit_nothing(api, events) -> None:
    headers = await api.user()
    for i in range(2):
        await api.create(headers, sample_course(f"ai {i}", ai_generated=True))
    events.clear()
    response = await api.client.post(BASE, headers=headers, json=sample_course(ai_generated=True))
    await assert_error(response, 403, "SUBSCRIPTION_LIMIT_EXCEEDED")
    course = (await api.list(headers))["items"][0]
    await api.patch(headers, course["id"], {"modules": [{"id": course["id"]}]}, status=422)
    assert events.seen == []


# -- channels and object resolution -------------------------------------------------------


async def test_course_channel_is_for_members_only(api, app) -> None:
    owner_h, student_h, stranger_h = (
        await api.user("o@example.com"),
        await api.user("s@example.com"),
        await api.user("x@example.com"),
    )
    course = await api.create(owner_h)
    await api.enroll(student_h, course["id"], await api.share(owner_h, course["id"]))
    owner, student, stranger = [await _principal(api, h) for h in (owner_h, student_h, stranger_h)]
    channel = f"course:{course['id']}"
    async with app.app_context():
        assert await channel_allowed(channel, owner)
        assert await channel_allowed(channel, student)
        assert not await channel_allowed(channel, stranger)
        assert not await channel_allowed("course:not-a-uuid", owner)
        assert not await channel_allowed("course:12345678-1234-1234-1234-123456789abc", owner)
        answers = await runtime(app).plugins.call("authorize_channel", channel="goal:1", user=owner)
        assert answers == []  # not ours: no opinion


async def test_resolve_object_answers_for_members_only(api, app) -> None:
    owner_h, stranger_h = await api.user("o@example.com"), await api.user("x@example.com")
    course = await api.create(owner_h)
    owner, stranger = await _principal(api, owner_h), await _principal(api, stranger_h)
    async with app.app_context():
        assert await resolve_object("course", course["id"], owner) == course
        assert await resolve_object("course", course["id"], stranger) is None
        assert await resolve_object("course", "not-a-uuid", owner) is None
        assert await resolve_object("goal", course["id"], owner) is None


# -- AI actions -------------------------------------------------------------------------


async def test_ai_create_course_makes_an_ai_generated_course_within_the_limit(api, app) -> None:
    headers = await api.user()
    user = await _principal(api, headers)
    action = runtime(app).ai_actions["create_course"]
    schema = action.payload.model_json_schema()
    assert schema["required"] == ["title"] and "duration_weeks" in schema["properties"]
    payload = action.payload.model_validate(
        {
            "title": "Data Structures",
            "description": "6-week plan",
            "duration_weeks": 6,
            "modules": [{"title": "Week 1", "topics": [{"title": "Arrays"}]}],
        }
    )
    async with app.app_context():
        made = await action.handler(user, payload)
        await action.handler(user, payload)
        try:
            await action.handler(user, payload)
            raise AssertionError("the third AI course passed the free limit")
        except SubscriptionLimitExceeded as exc:
            assert exc.detail["limit"] == "ai_courses"
    assert made["ai_generated"] is True and made["duration_weeks"] == 6
    assert await api.get(headers, made["id"]) == made


async def test_ai_create_course_payload_refuses_unknown_fields(app) -> None:
    action = runtime(app).ai_actions["create_course"]
    try:
        action.payload.model_validate({"title": "x", "frozen": True})
        raise AssertionError("accepted an unknown field")
    except Exception as exc:  # pydantic.ValidationError
        assert not isinstance(exc, ValidationFailed)
        assert "frozen" in str(exc)


async def test_ai_list_courses(api, app) -> None:
    headers = await api.user()
    course = await api.create(headers, sample_course("Graphs"))
    await api.create(headers, sample_course("Trees"))
    user = await _principal(api, headers)
    action = runtime(app).ai_actions["list_courses"]
    async with app.app_context():
        found = await action.handler(user, action.payload.model_validate({"q": "graph"}))
    assert found == {"items": [course]}


# -- account deletion and export ----------------------------------------------------------


async def test_export_holds_the_users_courses_enrollments_and_ticks(api) -> None:
    owner = await api.user("o@example.com")
    student = await api.user("s@example.com")
    theirs = await api.create(owner, sample_course("Theirs"))
    await api.enroll(student, theirs["id"], await api.share(owner, theirs["id"]))
    mine = await api.create(student, sample_course("Mine"))
    await api.tick(student, theirs["id"], topic_ids(theirs)[0])
    response = await api.client.get("/api/v1/auth/me/export", headers=student)
    data = json.loads(await response.get_data(as_text=True))["plugins"]["courses"]
    assert [c["title"] for c in data["courses"]] == ["Mine"]
    assert data["courses"][0] == await api.get(student, mine["id"])
    assert {(e["course_id"], e["role"]) for e in data["enrollments"]} == {
        (theirs["id"], "student"),
        (mine["id"], "owner"),
    }
    assert [t["topic_id"] for t in data["completed_topics"]] == [topic_ids(theirs)[0]]
    assert "Theirs" not in json.dumps(data)


async def test_account_deletion_removes_courses_enrollments_and_ticks(api, app, events) -> None:
    owner = await api.user("o@example.com")
    student = await api.user("s@example.com")
    theirs = await api.create(owner, sample_course("Theirs"))
    await api.enroll(student, theirs["id"], await api.share(owner, theirs["id"]))
    await api.tick(student, theirs["id"], topic_ids(theirs)[0])
    mine = await api.create(student, sample_course("Mine"))
    events.clear()
    response = await api.client.delete(
        "/api/v1/auth/me", headers=student, json={"password": PASSWORD}
    )
    assert response.status_code == 204, await response.get_json()
    assert ("course.deleted", f"course:{mine['id']}") in [(e.name, e.channel) for e in events.seen]
    async with app.app_context():
        assert await Course.select().where(Course.title == "Mine").aio_count() == 0
        assert (
            await Enrollment.select().where(Enrollment.course_id == theirs["id"]).aio_count() == 1
        )
        assert await Completion.select().aio_count() == 0
    assert await api.get(owner, theirs["id"]) == theirs
