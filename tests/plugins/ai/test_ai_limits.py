"""Quotas and gates: 50 free messages a month, Premium unlimited, rate limit, voice."""

from __future__ import annotations

from collections.abc import Callable

from ai_support import BASE, AiApi
from auth_support import assert_error
from quart import Quart


async def test_the_51st_free_message_is_refused_and_premium_lifts_it(api) -> None:
    headers = await api.user()
    for n in range(50):
        await api.chat(headers, f"hello {n}")
    response = await api.client.post(f"{BASE}/chat", headers=headers, json={"message": "hello"})
    body = await assert_error(response, 403, "SUBSCRIPTION_LIMIT_EXCEEDED")
    assert body["detail"]["limit"] == "ai_chat_messages"
    assert body["detail"]["allowed"] == 50 and body["detail"]["period"] == "month"
    assert len((await api.get(headers, f"{BASE}/conversations?limit=100"))["items"]) == 50
    await api.set_tier(headers, "premium_yearly")
    for n in range(3):
        await api.chat(headers, f"hello again {n}")


async def test_the_limit_is_listed_in_the_subscription(api) -> None:
    headers = await api.user()
    await api.chat(headers, "hello")
    usage = await api.get(headers, "/api/v1/subscription")
    chat = next(limit for limit in usage["limits"] if limit["name"] == "ai_chat_messages")
    assert (chat["limit"], chat["used"], chat["period"]) == (50, 1, "month")
    voice = next(limit for limit in usage["limits"] if limit["name"] == "ai_voice")
    assert voice["limit"] == 0


async def test_a_refused_message_does_not_count(api) -> None:
    headers = await api.user()
    other = await api.user("eve@example.com")
    mine = await api.chat(headers, "hello")
    response = await api.client.post(
        f"{BASE}/chat",
        headers=other,
        json={"message": "hi", "conversation_id": mine["conversation_id"]},
    )
    assert response.status_code == 404
    usage = await api.get(other, "/api/v1/subscription")
    chat = next(limit for limit in usage["limits"] if limit["name"] == "ai_chat_messages")
    assert chat["used"] == 0


async def test_the_per_user_rate_limit_answers_429_with_retry_after(
    make_ai_app: Callable[..., Quart],
) -> None:
    app = make_ai_app(AI_CHAT_RATE_PER_MINUTE=3)
    async with app.test_app():
        api = AiApi(app)
        headers = await api.user()
        other = await api.user("bob@example.com")
        for _ in range(3):
            await api.chat(headers, "hello")
        response = await api.client.post(f"{BASE}/chat", headers=headers, json={"message": "hi"})
        await assert_error(response, 429, "RATE_LIMITED")
        assert 1 <= int(response.headers["Retry-After"]) <= 60
        await api.chat(other, "hello")  # per user


async def test_voice_sessions_are_premium_only(api) -> None:
    headers = await api.user()
    response = await api.client.post(f"{BASE}/voice-session", headers=headers, json={})
    body = await assert_error(response, 403, "SUBSCRIPTION_LIMIT_EXCEEDED")
    assert body["detail"]["limit"] == "ai_voice"
    await api.set_tier(headers, "premium_monthly")
    session = await api.post(headers, f"{BASE}/voice-session", {}, status=201)
    assert session["websocket_url"] == "/api/v1/realtime/ws"
    assert session["channel"] == f"ai-voice:{session['id']}"
    assert session["transcription"]["available"] is False
    assert session["transcription"]["provider"] == "none"
    assert "no speech-to-text" in session["transcription"]["message"].lower()


async def test_premium_messages_are_counted_without_a_cap(api) -> None:
    headers = await api.user()
    await api.set_tier(headers, "premium_monthly")
    first = await api.chat(headers, "hello")
    await api.chat(headers, "hello again", first["conversation_id"])
    usage = await api.get(headers, "/api/v1/subscription")
    chat = next(limit for limit in usage["limits"] if limit["name"] == "ai_chat_messages")
    assert (chat["limit"], chat["used"]) == (None, 2)
