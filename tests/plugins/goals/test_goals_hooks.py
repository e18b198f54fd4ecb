"""The goals plugin's hooks: events, resolve_object, AI actions, account data, plugin state."""

from __future__ import annotations

import uuid
from importlib.metadata import entry_points
from typing import Any

import maigie_goals
import pytest
from auth_support import PASSWORD, Api, assert_error
from goals_support import GOALS, create, goals_of
from maigie_goals.models import Goal, GoalTask
from peewee_async import connection_context
from pydantic import ValidationError

from maigie_core import EventSubscriber, Principal, emit, hookimpl, resolve_object, transaction
from maigie_core.plugins import write_plugin_state
from maigie_core.runtime import runtime


class Spy:
    """Records goal events and whether a transaction was still open when each arrived."""

    def __init__(self) -> None:
        self.events: list[tuple[str, dict[str, Any], bool]] = []

    @hookimpl
    def register_event_subscribers(self) -> list[EventSubscriber]:
        return [EventSubscriber("goal.*", self.record)]

    async def record(self, event: Any) -> None:
        ctx = connection_context.get()
        in_tx = ctx is not None and ctx.transaction_is_opened
        self.events.append((event.name, dict(event.data), in_tx))


class Courses:
    """A stand-in courses plugin: ``resolve_object`` for the courses a user may see."""

    def __init__(self) -> None:
        self.visible: dict[str, set[str]] = {}

    @hookimpl
    def resolve_object(self, kind: str, object_id: str, user: Principal) -> dict | None:
        if kind == "course" and object_id in self.visible.get(user.id, set()):
            return {"id": object_id, "title": "Algorithms"}
        return None


@pytest.fixture
async def setup(make_app):
    spy, courses = Spy(), Courses()
    app = make_app(plugins={"goals": maigie_goals, "spy": spy, "courses": courses})
    async with app.test_app():
        yield app, Api(app), spy, courses


async def _principal(api: Api, headers: dict[str, str]) -> Principal:
    me = await api.me(headers)
    return Principal(id=me["id"], email=me["email"], tier=me["tier"], timezone=me["timezone"])


async def test_events_carry_the_rest_json_and_arrive_after_commit(setup) -> None:
    _app, api, spy, _courses = setup
    headers = await api.user()
    user_id = (await api.me(headers))["id"]
    goal = await create(api, headers, tasks=[{"title": "t"}])
    patched = await (
        await api.client.patch(f"{GOALS}/{goal['id']}", headers=headers, json={"title": "New"})
    ).get_json()
    completed = await (
        await api.client.post(
            f"{GOALS}/{goal['id']}/progress", headers=headers, json={"progress": 100}
        )
    ).get_json()
    await api.client.delete(f"{GOALS}/{goal['id']}", headers=headers)
    assert [(name, data) for name, data, _ in spy.events] == [
        ("goal.created", goal),
        ("goal.updated", patched),
        ("goal.updated", completed),
        ("goal.completed", completed),
        ("goal.deleted", {"id": goal["id"]}),
    ]
    assert not any(in_tx for _, _, in_tx in spy.events)
    assert user_id  # events go to the owner's channel (user:{id}) by default


async def test_task_changes_raise_goal_updated_with_the_tasks(setup) -> None:
    _app, api, spy, _courses = setup
    headers = await api.user()
    goal = await create(api, headers)
    task = await (
        await api.client.post(f"{GOALS}/{goal['id']}/tasks", headers=headers, json={"title": "t"})
    ).get_json()
    name, data, _ = spy.events[-1]
    assert name == "goal.updated" and data["tasks"] == [task]


async def test_refused_writes_raise_no_events(setup) -> None:
    _app, api, spy, _courses = setup
    headers = await api.user()
    await create(api, headers)
    await create(api, headers)
    before = list(spy.events)
    await api.client.post(GOALS, headers=headers, json={"title": "x", "tasks": [{"title": "t"}]})
    await api.client.post(GOALS, headers=headers, json={"title": "x"})
    assert spy.events == before


async def test_events_of_a_rolled_back_transaction_are_dropped(setup) -> None:
    app, api, spy, _courses = setup
    headers = await api.user()
    user = await _principal(api, headers)
    action = runtime(app).ai_actions["create_goal"]
    async with app.app_context():
        with pytest.raises(RuntimeError):
            async with transaction():
                await action.handler(user, action.payload(title="Rolled back", tasks=["a"]))
                raise RuntimeError("abort")
    assert spy.events == []
    assert await goals_of(api, headers) == []


async def test_a_goal_links_to_a_course_the_caller_can_see(setup) -> None:
    _app, api, _spy, courses = setup
    headers = await api.user()
    user_id = (await api.me(headers))["id"]
    course_id = str(uuid.uuid4())
    courses.visible[user_id] = {course_id}
    goal = await create(api, headers, course_id=course_id)
    assert goal["course_id"] == course_id
    hidden = str(uuid.uuid4())
    body = await assert_error(
        await api.client.post(GOALS, headers=headers, json={"title": "x", "course_id": hidden}),
        422,
        "VALIDATION_ERROR",
    )
    assert body["detail"][0]["loc"] == ["course_id"]
    response = await api.client.patch(
        f"{GOALS}/{goal['id']}", headers=headers, json={"course_id": hidden}
    )
    await assert_error(response, 422, "VALIDATION_ERROR")
    response = await api.client.patch(
        f"{GOALS}/{goal['id']}", headers=headers, json={"course_id": None}
    )
    assert (await response.get_json())["course_id"] is None


async def test_a_deleted_course_is_unlinked(setup) -> None:
    app, api, spy, courses = setup
    headers = await api.user()
    user_id = (await api.me(headers))["id"]
    course_id = str(uuid.uuid4())
    courses.visible[user_id] = {course_id}
    goal = await create(api, headers, course_id=course_id)
    async with app.app_context():
        await emit("course.deleted", user_id, {"id": course_id})
    (unlinked,) = await goals_of(api, headers)
    assert unlinked["course_id"] is None and unlinked["id"] == goal["id"]
    assert spy.events[-1][0] == "goal.updated" and spy.events[-1][1] == unlinked


async def test_resolve_object_gives_the_owner_the_rest_json_and_others_nothing(setup) -> None:
    app, api, _spy, _courses = setup
    owner = await api.user("owner@example.com")
    other = await api.user("other@example.com")
    goal = await create(api, owner, tasks=[{"title": "t"}])
    async with app.app_context():
        assert await resolve_object("goal", goal["id"], await _principal(api, owner)) == goal
        assert await resolve_object("goal", goal["id"], await _principal(api, other)) is None
        assert await resolve_object("goal", "not-a-uuid", await _principal(api, owner)) is None
        assert await resolve_object("goal", str(uuid.uuid4()), await _principal(api, owner)) is None
        assert await resolve_object("course", goal["id"], await _principal(api, owner)) is None


async def test_ai_actions_are_declared_with_json_schemas(setup) -> None:
    app, *_ = setup
    actions = runtime(app).ai_actions
    assert {"create_goal", "list_goals", "record_progress"} <= set(actions)
    schema = actions["create_goal"].payload.model_json_schema()
    assert {"title", "target_date", "duration_weeks", "tasks"} <= set(schema["properties"])
    assert actions["create_goal"].description


async def test_ai_create_goal_with_a_duration_in_weeks(setup) -> None:
    app, api, spy, _courses = setup
    headers = await api.user()
    user = await _principal(api, headers)
    action = runtime(app).ai_actions["create_goal"]
    payload = action.payload.model_validate(
        {
            "title": "Learn Data Structures",
            "duration_weeks": 6,
            "tasks": ["Arrays", {"title": "Trees"}],
        }
    )
    async with app.app_context():
        goal = await action.handler(user, payload)
    from datetime import UTC, datetime, timedelta

    expected = (datetime.now(UTC).date() + timedelta(weeks=6)).isoformat()
    assert goal["target_date"] == expected
    assert [t["title"] for t in goal["tasks"]] == ["Arrays", "Trees"]
    assert await goals_of(api, headers) == [goal]
    assert spy.events[-1][:2] == ("goal.created", goal)
    with pytest.raises(ValidationError):
        action.payload.model_validate(
            {"title": "x", "target_date": "2027-01-01", "duration_weeks": 2}
        )


async def test_ai_create_goal_respects_the_tier_limit(setup) -> None:
    from maigie_core import SubscriptionLimitExceeded

    app, api, _spy, _courses = setup
    headers = await api.user()
    user = await _principal(api, headers)
    action = runtime(app).ai_actions["create_goal"]
    async with app.app_context():
        for n in range(2):
            await action.handler(user, action.payload(title=f"Goal {n}"))
        with pytest.raises(SubscriptionLimitExceeded):
            await action.handler(user, action.payload(title="Third"))


async def test_ai_list_goals_and_record_progress(setup) -> None:
    app, api, _spy, _courses = setup
    headers = await api.user()
    user = await _principal(api, headers)
    goal = await create(api, headers, tasks=[{"title": "a"}, {"title": "b"}])
    actions = runtime(app).ai_actions
    async with app.app_context():
        page = await actions["list_goals"].handler(user, actions["list_goals"].payload())
        assert page == {"items": [goal], "next_cursor": None}
        record = actions["record_progress"]
        updated = await record.handler(
            user, record.payload(goal_id=goal["id"], task_id=goal["tasks"][0]["id"])
        )
        assert updated["progress"] == 50
        updated = await record.handler(user, record.payload(goal_id=goal["id"], progress=100))
        assert updated["status"] == "completed"
        stranger = Principal(id=str(uuid.uuid4()), email="x@example.com")
        from maigie_core import NotFound

        with pytest.raises(NotFound):
            await record.handler(stranger, record.payload(goal_id=goal["id"], progress=10))
    with pytest.raises(ValidationError):
        record.payload.model_validate({"goal_id": goal["id"]})


async def test_export_holds_the_users_goals_only(setup) -> None:
    _app, api, _spy, _courses = setup
    headers = await api.user()
    other = await api.user("other@example.com")
    goal = await create(api, headers, tasks=[{"title": "t"}])
    await create(api, other, title="Not mine")
    export = await (await api.client.get("/api/v1/auth/me/export", headers=headers)).get_json()
    assert export["plugins"]["goals"] == {"goals": [goal]}


async def test_account_deletion_deletes_the_goals_and_tasks(setup) -> None:
    app, api, _spy, _courses = setup
    headers = await api.user()
    other = await api.user("other@example.com")
    await create(api, headers, tasks=[{"title": "t"}])
    kept = await create(api, other, tasks=[{"title": "t"}])
    response = await api.client.delete(
        "/api/v1/auth/me", headers=headers, json={"password": PASSWORD}
    )
    assert response.status_code == 204
    async with app.app_context():
        assert await Goal.select().aio_count() == 1
        assert await GoalTask.select().aio_count() == 1
    assert await goals_of(api, other) == [kept]


async def test_disabled_plugin_routes_404_and_the_app_stays_healthy(make_app) -> None:
    first = make_app(plugins={"goals": maigie_goals})
    write_plugin_state(runtime(first).db, "goals", False)
    app = make_app(plugins={"goals": maigie_goals})
    async with app.test_app():
        api = Api(app)
        headers = await api.user()
        await assert_error(await api.client.get(GOALS, headers=headers), 404, "RESOURCE_NOT_FOUND")
        response = await api.client.post(GOALS, headers=headers, json={"title": "x"})
        await assert_error(response, 404, "RESOURCE_NOT_FOUND")
        spec = await (await api.client.get("/openapi.json")).get_json()
        assert not any(path.startswith(GOALS) for path in spec["paths"])
        assert (await api.client.get("/health")).status_code == 200
        subscription = await (
            await api.client.get("/api/v1/subscription", headers=headers)
        ).get_json()
        assert "active_goals" not in [lim["name"] for lim in subscription["limits"]]
        assert "create_goal" not in runtime(app).ai_actions


def test_the_entry_point_names_the_package() -> None:
    (point,) = [ep for ep in entry_points(group="maigie.plugins") if ep.name == "goals"]
    assert point.value == "maigie_goals" and point.load() is maigie_goals


async def test_the_installed_entry_point_serves_goals(make_app) -> None:
    core = make_app()  # migrated core: holds the operator's plugin choices
    others = [ep.name for ep in entry_points(group="maigie.plugins") if ep.name != "goals"]
    for name in others:  # only goals runs: the other built-in plugins are not under test
        write_plugin_state(runtime(core).db, name, False)
    app = make_app(entry_points=True, STRICT_PLUGINS=False)
    record = runtime(app).plugins.records["goals"]
    assert record.active and record.module == "maigie_goals", record.error
    assert {"register_blueprints", "register_migrations", "apply_tier_limits"} <= set(record.hooks)
    async with app.test_app():
        api = Api(app)
        headers = await api.user()
        goal = await create(api, headers)
        assert await goals_of(api, headers) == [goal]
