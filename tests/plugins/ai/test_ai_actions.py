"""Actions are discovered, validated and reported; disabled plugins mean "can't do"."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ai_support import AiApi, names
from pydantic import BaseModel, ConfigDict
from quart import Quart

from maigie_core import AIAction, Conflict, Principal, hookimpl


class StrictBlock(BaseModel):
    """A schedule action that needs a room: the offline provider never names one."""

    model_config = ConfigDict(extra="forbid")
    title: str
    start_at: str
    duration_minutes: int
    room: str


class StrictSchedule:
    def __init__(self) -> None:
        self.calls: list[Any] = []

    @hookimpl
    def register_ai_actions(self) -> list[AIAction]:
        async def create_block(user: Principal, payload: StrictBlock) -> dict[str, Any]:
            self.calls.append(payload)
            return {"id": "x"}

        async def create_reminder(user: Principal, payload: Any) -> dict[str, Any]:
            raise Conflict("You already have a reminder then", detail={"at": "then"})

        class ReminderIn(BaseModel):
            message: str
            remind_at: str

        async def plan_week(user: Principal, payload: Any) -> dict[str, Any]:
            raise RuntimeError("boom")

        class PlanIn(BaseModel):
            week_start: str

        return [
            AIAction("create_block", "strict", StrictBlock, create_block),
            AIAction("create_reminder", "conflicts", ReminderIn, create_reminder),
            AIAction("plan_week", "crashes", PlanIn, plan_week),
        ]


async def test_without_the_schedule_plugin_scheduling_gets_a_cannot_do_reply(
    make_ai_app: Callable[..., Quart],
) -> None:
    app = make_ai_app(without=("schedule",))
    async with app.test_app():
        api = AiApi(app)
        headers = await api.user()
        reply = await api.chat(headers, "Schedule 2 hours of reading tomorrow at 9am")
        assert names(reply) == [("create_block", "unavailable")]
        assert reply["actions"][0]["error"]["code"] == "ACTION_UNAVAILABLE"
        assert "can't schedule" in reply["reply"] and "not enabled" in reply["reply"]
        reminder = await api.chat(headers, "Remind me to review chapter 5 on Friday")
        assert names(reminder) == [("create_reminder", "unavailable")]
        assert (await api.client.get("/api/v1/schedule", headers=headers)).status_code == 404


async def test_without_courses_a_learning_request_still_sets_the_goal(
    make_ai_app: Callable[..., Quart],
) -> None:
    app = make_ai_app(without=("courses",))
    async with app.test_app():
        api = AiApi(app)
        headers = await api.user()
        reply = await api.chat(headers, "I want to learn Data Structures in 6 weeks")
        assert names(reply) == [("create_course", "unavailable"), ("create_goal", "ok")]
        assert "can't create a course" in reply["reply"] and "goal" in reply["reply"]


async def test_with_only_the_assistant_progress_says_what_is_missing(
    make_ai_app: Callable[..., Quart],
) -> None:
    app = make_ai_app(without=("courses", "goals", "schedule", "resources"))
    async with app.test_app():
        api = AiApi(app)
        headers = await api.user()
        reply = await api.chat(headers, "How am I doing?")
        assert [s for _, s in names(reply)] == ["unavailable", "unavailable"]
        assert "aren't enabled" in reply["reply"]


async def test_an_invalid_payload_never_reaches_the_handler(
    make_ai_app: Callable[..., Quart],
) -> None:
    strict = StrictSchedule()
    app = make_ai_app(without=("schedule",), extra={"strict": strict})
    async with app.test_app():
        api = AiApi(app)
        headers = await api.user()
        reply = await api.chat(headers, "Schedule 2 hours of reading tomorrow at 9am")
        assert names(reply) == [("create_block", "invalid")]
        assert strict.calls == []
        assert "room" in reply["actions"][0]["error"]["message"]
        assert "details were not valid" in reply["reply"] and "room" in reply["reply"]


async def test_handler_errors_are_reported_with_their_code(
    make_ai_app: Callable[..., Quart],
) -> None:
    app = make_ai_app(without=("schedule",), extra={"strict": StrictSchedule()})
    async with app.test_app():
        api = AiApi(app)
        headers = await api.user()
        reply = await api.chat(headers, "Remind me to review chapter 5 on Friday")
        assert names(reply) == [("create_reminder", "error")]
        assert reply["actions"][0]["error"]["code"] == "CONFLICT"
        assert "already have a reminder" in reply["reply"]
        await api.chat(headers, "I want to pass my exam in 3 weeks")
        crash = await api.chat(headers, "plan my week")
        assert names(crash)[-1] == ("plan_week", "error")
        assert crash["actions"][-1]["error"]["code"] == "INTERNAL_SERVER_ERROR"
