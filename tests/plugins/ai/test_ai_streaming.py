"""Replies stream as ``ai.message`` events on the user's channel: chunks, then the final."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

from ai_support import BASE, AiApi
from plugin_kit import EventLog
from quart import Quart


async def test_a_reply_is_emitted_as_chunks_then_a_final_message(
    make_ai_app: Callable[..., Quart],
) -> None:
    log = EventLog()
    app = make_ai_app(extra={"log": log}, ai={"stream_chunk_chars": 20})
    async with app.test_app():
        api = AiApi(app)
        headers = await api.user()
        user_id = (await api.me(headers))["id"]
        reply = await api.chat(headers, "I want to learn Data Structures in 6 weeks")
        events = log.named("ai.message")
        chunks, final = events[:-1], events[-1]
        assert len(chunks) > 3
        assert all(e.channel == f"user:{user_id}" for e in events)
        assert [e.data["index"] for e in chunks] == list(range(len(chunks)))
        assert "".join(e.data["delta"] for e in chunks) == reply["reply"]
        assert final.data["status"] == "complete" and final.data["reply"] == reply["reply"]
        assert final.data["message_id"] == reply["message_id"]
        assert [a["name"] for a in final.data["actions"]] == ["create_course", "create_goal"]
        assert [e.id for e in events] == sorted(e.id for e in events)


async def test_a_socket_receives_the_stream(make_ai_app: Callable[..., Quart]) -> None:
    app = make_ai_app()
    async with app.test_app():
        api = AiApi(app)
        headers = await api.user()
        token = headers["Authorization"].split()[1]
        async with app.test_client().websocket(f"/api/v1/realtime/ws?token={token}") as ws:
            hello = json.loads(await asyncio.wait_for(ws.receive(), 5))
            assert hello["type"] == "connection"
            await api.chat(headers, "How am I doing?")
            seen: list[dict[str, Any]] = []
            while not seen or seen[-1]["data"]["status"] != "complete":
                message = json.loads(await asyncio.wait_for(ws.receive(), 5))
                if message.get("type") == "event" and message["event"] == "ai.message":
                    seen.append(message)
        assert seen[0]["data"]["status"] == "streaming"
        assert seen[-1]["data"]["reply"].startswith("You have no goals")


async def test_the_stream_goes_to_the_chatting_user_only(make_ai_app: Callable[..., Quart]) -> None:
    log = EventLog()
    app = make_ai_app(extra={"log": log})
    async with app.test_app():
        api = AiApi(app)
        ada = await api.user()
        await api.user("bob@example.com")
        ada_id = (await api.me(ada))["id"]
        await api.chat(ada, "hello")
        assert {e.channel for e in log.named("ai.message")} == {f"user:{ada_id}"}
        response = await api.client.get(f"{BASE}/conversations", headers=ada)
        assert response.status_code == 200
