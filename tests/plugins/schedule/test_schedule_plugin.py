"""The plugin as the platform sees it: entry point, disabled state, OpenAPI, tier limit,
AI actions, account export and deletion."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import maigie_schedule
import pytest
from auth_support import PASSWORD, assert_error
from schedule_support import BASE, REMINDERS, ScheduleApi

from maigie_core import Principal, SubscriptionLimitExceeded, ValidationFailed
from maigie_core.plugins import write_plugin_state
from maigie_core.runtime import runtime


async def test_entry_point_loads_the_plugin(make_app) -> None:
    app = make_app(entry_points=True, STRICT_PLUGINS=False)  # others' plugins may be mid-work
    record = runtime(app).plugins.records["schedule"]
    assert record.active and record.module == "maigie_schedule", record.error
    rt = runtime(app)
    assert "ai_auto_scheduling" in rt.tier_limits
    assert {"schedule.deliver_reminder", "schedule.sweep_reminders"} <= set(rt.tasks)
    assert rt.tasks["schedule.sweep_reminders"].schedule == "* * * * *"


async def test_disabled_plugin_routes_are_404_and_the_app_is_healthy(make_app) -> None:
    first = make_app(plugins={"schedule": maigie_schedule})
    write_plugin_state(runtime(first).db, "schedule", False)
    app = make_app(plugins={"schedule": maigie_schedule})
    rt = runtime(app)
    assert "ai_auto_scheduling" not in rt.tier_limits and "create_block" not in rt.ai_actions
    assert "schedule.sweep_reminders" not in rt.tasks
    async with app.test_app():
        api = ScheduleApi(app)
        headers = await api.user()
        for method, path in (
            ("get", BASE),
            ("post", BASE),
            ("get", f"{BASE}/feed"),
            ("get", REMINDERS),
            ("post", REMINDERS),
        ):
            response = await getattr(api.client, method)(path, headers=headers, json={})
            await assert_error(response, 404, "RESOURCE_NOT_FOUND")
        assert (await api.client.get("/health")).status_code == 200
        spec = await (await api.client.get("/openapi.json")).get_json()
        assert not any(p.startswith((BASE, REMINDERS)) for p in spec["paths"])


async def test_openapi_documents_the_routes(api) -> None:
    spec = await (await api.client.get("/openapi.json")).get_json()
    paths = spec["paths"]
    assert {BASE, f"{BASE}/{{block_id}}", f"{BASE}/feed/rotate", REMINDERS} <= set(paths)
    body = paths[BASE]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert {"title", "start_at", "end_at", "rrule", "allow_overlap"} <= set(body["properties"])
    assert "201" in paths[BASE]["post"]["responses"]
    assert "OccurrenceOut" in spec["components"]["schemas"]
    assert paths[f"{BASE}/feed/{{token}}.ics"]["get"].get("security") == []


async def _principal(api: ScheduleApi, headers: dict[str, str]) -> Principal:
    me = await api.me(headers)
    return Principal(id=me["id"], email=me["email"], tier=me["tier"], timezone=me["timezone"])


async def _premium(api: ScheduleApi, headers: dict[str, str]) -> None:
    admin = await api.admin()
    me = await api.me(headers)
    response = await api.client.patch(
        f"/api/v1/admin/users/{me['id']}", headers=admin, json={"tier": "premium_monthly"}
    )
    assert response.status_code == 200, await response.get_json()


async def test_plan_week_is_premium_only(api, catalogue) -> None:
    headers = await api.user()
    me = await api.me(headers)
    goal = catalogue.add("goal", me["id"], title="Pass", tasks=[])
    response = await api.client.post(f"{BASE}/plan-week", headers=headers, json={"goal_id": goal})
    error = await assert_error(response, 403, "SUBSCRIPTION_LIMIT_EXCEEDED")
    assert error["detail"]["limit"] == "ai_auto_scheduling"


async def test_plan_week_spreads_open_tasks_over_free_slots(api, app, catalogue) -> None:
    headers = await api.user()
    await _premium(api, headers)
    me = await api.me(headers)
    tasks = [{"id": str(i), "title": f"Chapter {i}", "done": i == 0} for i in range(5)]
    goal = catalogue.add("goal", me["id"], title="Algorithms exam", tasks=tasks)
    week = date.today() + timedelta(days=14)
    busy = await api.block(
        headers,
        start_at=f"{week.isoformat()}T09:00:00Z",
        end_at=f"{week.isoformat()}T12:00:00Z",
    )
    plan = await api.call(
        "post",
        f"{BASE}/plan-week",
        headers,
        200,
        json={"goal_id": goal, "week_start": week.isoformat(), "session_minutes": 90},
    )
    assert plan["unplaced"] == []
    made = plan["created"]
    assert [b["title"] for b in made] == ["Chapter 1", "Chapter 2", "Chapter 3", "Chapter 4"]
    assert all(b["goal_id"] == goal for b in made)
    days = [b["start_at"][:10] for b in made]
    assert len(set(days)) == 4  # spread over four days
    assert made[0]["start_at"] == f"{week.isoformat()}T12:00:00+00:00"  # after the busy block
    window = await api.window(headers, f"start={week}&end={week + timedelta(days=7)}")
    assert len(window["items"]) == 5 and busy["id"] in {i["id"] for i in window["items"]}
    # through the AI action, with a goal the user cannot see
    action = runtime(app).ai_actions["plan_week"]
    user = await _principal(api, headers)
    async with app.app_context():
        with pytest.raises(Exception) as missing:
            await action.handler(user, action.payload.model_validate({"goal_id": busy["id"]}))
    assert getattr(missing.value, "status_code", None) == 404


async def test_ai_create_block_understands_tomorrow_at_3pm(api, app) -> None:
    headers = await api.user_in("paris@example.com", "Europe/Paris")
    user = await _principal(api, headers)
    action = runtime(app).ai_actions["create_block"]
    schema = action.payload.model_json_schema()
    assert {"title", "day", "time", "duration_minutes"} <= set(schema["properties"])
    payload = action.payload.model_validate(
        {"title": "Reading", "day": "tomorrow", "time": "3pm", "duration_minutes": 120}
    )
    async with app.app_context():
        block = await action.handler(user, payload)
        with pytest.raises(Exception) as clash:
            await action.handler(user, payload)
        assert getattr(clash.value, "status_code", None) == 409
        listed = (
            await runtime(app)
            .ai_actions["list_schedule"]
            .handler(
                user,
                runtime(app)
                .ai_actions["list_schedule"]
                .payload.model_validate({"date": "tomorrow"}),
            )
        )
    paris_tomorrow = (
        datetime.now(UTC).astimezone(user_zone("Europe/Paris")) + timedelta(days=1)
    ).date()
    assert block["start_at"].startswith(f"{paris_tomorrow.isoformat()}T15:00:00+0")
    assert block["end_at"].startswith(f"{paris_tomorrow.isoformat()}T17:00:00+0")
    assert [i["id"] for i in listed["items"]] == [block["id"]]


def user_zone(name: str):
    from zoneinfo import ZoneInfo

    return ZoneInfo(name)


async def test_ai_create_reminder_on_a_weekday(api, app) -> None:
    headers = await api.user()
    user = await _principal(api, headers)
    action = runtime(app).ai_actions["create_reminder"]
    async with app.app_context():
        made = await action.handler(
            user, action.payload.model_validate({"message": "Review chapter 5", "day": "friday"})
        )
        with pytest.raises(ValidationFailed):
            await action.handler(
                user, action.payload.model_validate({"message": "x", "day": "someday"})
            )
    remind_at = datetime.fromisoformat(made["remind_at"])
    assert remind_at.weekday() == 4 and remind_at.strftime("%H:%M") == "09:00"
    assert datetime.now(UTC) < remind_at <= datetime.now(UTC) + timedelta(days=7)
    assert (await api.call("get", REMINDERS, headers, 200))["items"] == [made]


def test_a_weekday_is_the_next_one_still_ahead() -> None:
    """Today's weekday name is today until its time has passed, then a week on (the
    test above ran on Fridays after 09:00 and got a reminder in the past)."""
    from zoneinfo import ZoneInfo

    from maigie_schedule.actions import when

    tz = ZoneInfo("Pacific/Auckland")
    now = datetime.now(tz)
    name = now.strftime("%A").lower()
    assert when(None, name, "00:00", tz) == datetime.combine(
        now.date() + timedelta(days=7), datetime.min.time(), tzinfo=tz
    )
    if now.hour < 23:  # 23:59 is still ahead today
        assert when(None, name, "23:59", tz).date() == now.date()
    assert when(None, "today", "00:00", tz).date() == now.date()  # "today" is what it says


async def test_ai_action_payloads_refuse_unknown_fields(app) -> None:
    for name in ("create_block", "create_reminder", "list_schedule", "plan_week"):
        with pytest.raises(Exception) as caught:
            runtime(app).ai_actions[name].payload.model_validate({"title": "x", "frozen": 1})
        assert not isinstance(caught.value, SubscriptionLimitExceeded)


async def test_export_and_account_deletion(api) -> None:
    headers = await api.user()
    other = await api.user("other@example.com")
    block = await api.block(headers, start_at="2027-01-04T09:00:00Z", end_at="2027-01-04T10:00:00Z")
    kept = await api.block(other, start_at="2027-01-04T09:00:00Z", end_at="2027-01-04T10:00:00Z")
    reminder = await api.reminder(headers, remind_at="2030-01-01T09:00:00Z")
    export = await (await api.client.get("/api/v1/auth/me/export", headers=headers)).get_json()
    mine = export["plugins"]["schedule"]
    assert [b["id"] for b in mine["blocks"]] == [block["id"]]
    assert [r["id"] for r in mine["reminders"]] == [reminder["id"]]
    feed = await api.call("get", f"{BASE}/feed", headers, 200)
    response = await api.client.delete(
        "/api/v1/auth/me", headers=headers, json={"password": PASSWORD}
    )
    assert response.status_code == 204, await response.get_json()
    from urllib.parse import urlsplit

    await assert_error(await api.client.get(urlsplit(feed["url"]).path), 404, "RESOURCE_NOT_FOUND")
    assert await api.call("get", f"{BASE}/{kept['id']}", other, 200) == kept
