"""``Idempotency-Key``: a retried chat returns the first answer and creates nothing twice."""

from __future__ import annotations

import asyncio

from ai_support import BASE
from auth_support import assert_error

LEARN = "I want to learn Data Structures in 6 weeks"


async def test_a_retry_returns_the_first_answer_and_creates_nothing_twice(api) -> None:
    headers = await api.user()
    first = await api.chat(headers, LEARN, key="retry-1")
    response = await api.client.post(
        f"{BASE}/chat", headers={**headers, "Idempotency-Key": "retry-1"}, json={"message": LEARN}
    )
    assert response.status_code == 200
    assert response.headers["Idempotent-Replayed"] == "true"
    assert await response.get_json() == first
    assert len(await api.courses(headers)) == 1 and len(await api.goals(headers)) == 1
    assert len((await api.get(headers, f"{BASE}/conversations"))["items"]) == 1


async def test_concurrent_duplicates_create_once(api) -> None:
    headers = await api.user()
    replies = await asyncio.gather(*(api.chat(headers, LEARN, key="same") for _ in range(5)))
    assert all(reply == replies[0] for reply in replies)
    assert len(await api.courses(headers)) == 1 and len(await api.goals(headers)) == 1


async def test_keys_are_per_user_and_per_key(api) -> None:
    ada = await api.user("ada@example.com")
    bob = await api.user("bob@example.com")
    await api.chat(ada, LEARN, key="k")
    await api.chat(bob, LEARN, key="k")
    await api.chat(ada, "Create a course on Rust", key="k2")
    assert len(await api.courses(ada)) == 2 and len(await api.courses(bob)) == 1


async def test_a_key_reused_with_another_body_is_refused(api) -> None:
    headers = await api.user()
    await api.chat(headers, LEARN, key="k")
    response = await api.client.post(
        f"{BASE}/chat", headers={**headers, "Idempotency-Key": "k"}, json={"message": "hello"}
    )
    body = await assert_error(response, 422, "VALIDATION_ERROR")
    assert body["detail"][0]["loc"] == ["header", "Idempotency-Key"]


async def test_a_failed_request_gives_its_key_back(api) -> None:
    headers = await api.user()
    other = await api.user("eve@example.com")
    theirs = await api.chat(other, "hello")
    body = {"message": "hello", "conversation_id": theirs["conversation_id"]}
    response = await api.client.post(
        f"{BASE}/chat", headers={**headers, "Idempotency-Key": "k"}, json=body
    )
    assert response.status_code == 404
    response = await api.client.post(
        f"{BASE}/chat", headers={**headers, "Idempotency-Key": "k"}, json=body
    )
    assert response.status_code == 404  # ran again (not a stored answer), still 404
    assert "Idempotent-Replayed" not in response.headers


async def test_a_replay_does_not_count_against_the_quota(api) -> None:
    headers = await api.user()
    for _ in range(3):
        await api.chat(headers, "hello", key="once")
    usage = await api.get(headers, "/api/v1/subscription")
    chat = next(limit for limit in usage["limits"] if limit["name"] == "ai_chat_messages")
    assert chat["used"] == 1


async def test_an_oversized_key_is_422(api) -> None:
    headers = await api.user()
    response = await api.client.post(
        f"{BASE}/chat", headers={**headers, "Idempotency-Key": "x" * 300}, json={"message": "hi"}
    )
    await assert_error(response, 422, "VALIDATION_ERROR")
