"""The OpenAI-compatible provider against a local fake server (real HTTP, no mocks)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest
from ai_support import BASE, AiApi, names
from auth_support import assert_error
from fake_openai import FakeOpenAI, raw, slow, status, text, tool_calls
from quart import Quart

COURSE = {
    "title": "Graph Theory",
    "description": "Vertices and edges",
    "modules": [{"title": "Basics", "topics": [{"title": "Degrees"}]}],
    "duration_weeks": 4,
}


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as server:
        yield server


@pytest.fixture
def openai_app(make_ai_app: Callable[..., Quart], fake: FakeOpenAI) -> Callable[..., Any]:
    def build(without: tuple[str, ...] = (), **ai: Any) -> Quart:
        settings = {
            "provider": "openai",
            "openai_base_url": fake.base_url,
            "openai_model": "fake-model",
            "openai_api_key": "sk-test",
            "openai_timeout": 2,
            "openai_max_retries": 1,
            **ai,
        }
        return make_ai_app(without=without, ai=settings)

    return build


@pytest.fixture
async def api(openai_app: Callable[..., Quart]) -> AsyncIterator[AiApi]:
    app = openai_app()
    async with app.test_app():
        yield AiApi(app)


async def test_a_tool_call_runs_the_action_and_the_model_writes_the_reply(api, fake) -> None:
    headers = await api.user()
    fake.add(tool_calls(("create_course", COURSE)), text("Your Graph Theory course is ready."))
    reply = await api.chat(headers, "make me a graph theory course")
    assert names(reply) == [("create_course", "ok")]
    assert reply["reply"] == "Your Graph Theory course is ready."
    assert [c["title"] for c in await api.courses(headers)] == ["Graph Theory"]
    first, second = fake.requests
    assert first["model"] == "fake-model"
    assert {t["function"]["name"] for t in first["tools"]} >= {"create_course", "create_goal"}
    schema = next(t for t in first["tools"] if t["function"]["name"] == "create_course")
    assert "title" in schema["function"]["parameters"]["properties"]
    assert first["messages"][0]["role"] == "system" and first["messages"][-1]["role"] == "user"
    assert fake.headers[0]["Authorization"] == "Bearer sk-test"
    tool_message = second["messages"][-1]
    assert tool_message["role"] == "tool" and tool_message["tool_call_id"] == "call_0"
    assert json.loads(tool_message["content"])["status"] == "ok"


async def test_tokens_and_cost_are_reported_and_stored(openai_app, fake) -> None:
    app = openai_app(openai_price_prompt_per_1k=1.0, openai_price_completion_per_1k=2.0)
    async with app.test_app():
        api = AiApi(app)
        headers = await api.user()
        fake.add(
            tool_calls(("list_goals", {}), prompt=100, completion_=10),
            text("None yet.", prompt=200, completion_=20),
        )
        reply = await api.chat(headers, "what are my goals?")
        assert reply["usage"] == {
            "prompt_tokens": 300,
            "completion_tokens": 30,
            "total_tokens": 330,
            "cost": 0.36,
        }
        detail = await api.get(headers, f"{BASE}/conversations/{reply['conversation_id']}")
        assistant = detail["messages"][1]
        assert assistant["provider"] == "openai" and assistant["model"] == "fake-model"
        assert assistant["usage"]["total_tokens"] == 330 and assistant["usage"]["cost"] == 0.36


async def test_malformed_tool_arguments_run_nothing_and_the_reply_says_why(api, fake) -> None:
    headers = await api.user()
    fake.add(
        tool_calls(("create_course", '{"title": "Graph')), text("Sorry, something went wrong.")
    )
    reply = await api.chat(headers, "make me a graph theory course")
    assert names(reply) == [("create_course", "invalid")]
    assert "malformed arguments" in reply["actions"][0]["error"]["message"]
    assert "invalid" in reply["reply"]
    assert await api.courses(headers) == []
    assert json.loads(fake.requests[1]["messages"][-1]["content"])["status"] == "invalid"


async def test_arguments_failing_the_schema_run_nothing(api, fake) -> None:
    headers = await api.user()
    bad = {"description": "no title", "modules": "not a list", "colour": "red"}
    fake.add(tool_calls(("create_course", bad)), text("Done!"))
    reply = await api.chat(headers, "make me a course")
    assert names(reply) == [("create_course", "invalid")]
    fields = {tuple(e["loc"]) for e in reply["actions"][0]["error"]["detail"]}
    assert ("title",) in fields and ("colour",) in fields
    assert "Not done (create course)" in reply["reply"]
    assert await api.courses(headers) == []


async def test_a_corrected_retry_by_the_model_is_not_reported_as_a_failure(api, fake) -> None:
    headers = await api.user()
    fake.add(
        tool_calls(("create_course", {"modules": []})),
        tool_calls(("create_course", COURSE)),
        text("Created."),
    )
    reply = await api.chat(headers, "make me a graph theory course")
    assert names(reply) == [("create_course", "invalid"), ("create_course", "ok")]
    assert reply["reply"] == "Created."


async def test_a_tool_of_a_disabled_plugin_gets_a_cannot_do_answer(openai_app, fake) -> None:
    app = openai_app(without=("schedule",))
    async with app.test_app():
        api = AiApi(app)
        headers = await api.user()
        block = {"title": "Reading", "start_at": "2030-01-01T09:00:00+00:00"}
        fake.add(tool_calls(("create_block", block)), text("Scheduled!"))
        reply = await api.chat(headers, "schedule 2 hours of reading tomorrow at 9am")
        assert names(reply) == [("create_block", "unavailable")]
        assert "can't create block" in reply["reply"]
        assert "create_block" not in {t["function"]["name"] for t in fake.requests[0]["tools"]}


async def test_a_clarifying_question_takes_no_action(api, fake) -> None:
    headers = await api.user()
    fake.add(text("What would you like to learn?"))
    reply = await api.chat(headers, "blorp")
    assert reply["actions"] == [] and reply["reply"] == "What would you like to learn?"


async def test_a_timeout_is_a_503_and_nothing_is_kept(openai_app, fake) -> None:
    app = openai_app(openai_timeout=0.3, openai_max_retries=0)
    async with app.test_app():
        api = AiApi(app)
        headers = await api.user()
        fake.add(slow(1.0, text("too late")))
        response = await api.client.post(f"{BASE}/chat", headers=headers, json={"message": "hi"})
        body = await assert_error(response, 503, "SERVICE_UNAVAILABLE")
        assert body["detail"]["provider"] == "openai" and "timed out" in body["detail"]["reason"]
        assert (await api.get(headers, f"{BASE}/conversations"))["items"] == []
        usage = await api.get(headers, "/api/v1/subscription")
        chat = next(limit for limit in usage["limits"] if limit["name"] == "ai_chat_messages")
        assert chat["used"] == 0  # the failed message was not counted


async def test_a_5xx_is_retried(api, fake) -> None:
    headers = await api.user()
    fake.add(status(502), text("Hello!"))
    reply = await api.chat(headers, "hi")
    assert reply["reply"] == "Hello!" and len(fake.requests) == 2


async def test_repeated_5xx_and_junk_are_503s(api, fake) -> None:
    headers = await api.user()
    fake.add(status(500), status(503))
    response = await api.client.post(f"{BASE}/chat", headers=headers, json={"message": "hi"})
    body = await assert_error(response, 503, "SERVICE_UNAVAILABLE")
    assert body["detail"]["reason"] == "HTTP 503"
    fake.add(raw("this is not json"))
    response = await api.client.post(f"{BASE}/chat", headers=headers, json={"message": "hi"})
    await assert_error(response, 503, "SERVICE_UNAVAILABLE")
    fake.add(raw(json.dumps({"choices": []})))
    response = await api.client.post(f"{BASE}/chat", headers=headers, json={"message": "hi"})
    await assert_error(response, 503, "SERVICE_UNAVAILABLE")


async def test_a_failure_after_an_action_keeps_the_action_and_says_so(api, fake) -> None:
    headers = await api.user()
    fake.add(tool_calls(("create_course", COURSE)), status(500), status(500))
    reply = await api.chat(headers, "make me a graph theory course")
    assert names(reply) == [("create_course", "ok")]
    assert "Done: create course" in reply["reply"] and "HTTP 500" in reply["reply"]


async def test_history_is_sent_and_forget_that_resets_it(api, fake) -> None:
    headers = await api.user()
    fake.add(text("Hi Ada."), text("You said hello."))
    first = await api.chat(headers, "hello, I'm Ada")
    await api.chat(headers, "what did I say?", first["conversation_id"])
    contents = [m["content"] for m in fake.requests[1]["messages"]]
    assert contents[1:] == ["hello, I'm Ada", "Hi Ada.", "what did I say?"]
    forgot = await api.chat(headers, "forget that", first["conversation_id"])
    assert "forgotten" in forgot["reply"] and len(fake.requests) == 2  # no model call
    fake.add(text("Fresh start."))
    await api.chat(headers, "where were we?", first["conversation_id"])
    assert [m["role"] for m in fake.requests[2]["messages"]] == ["system", "user"]


async def test_summary_uses_the_model_with_a_local_fallback(api, fake) -> None:
    headers = await api.user()
    fake.add(text("A short summary."))
    body = {"text": "Graphs have vertices. Edges join vertices. Trees are graphs without cycles."}
    result = await api.post(headers, f"{BASE}/summary", body)
    assert result["summary"] == "A short summary." and result["method"] == "openai"
    fake.add(status(500), status(500))
    result = await api.post(headers, f"{BASE}/summary", body)
    assert result["method"].startswith("extractive") and "vertices" in result["summary"]
