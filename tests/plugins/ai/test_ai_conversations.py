"""Conversations persisted: listing (SPEC pagination), reading, privacy, deletion."""

from __future__ import annotations

from ai_support import BASE
from auth_support import assert_error


async def test_a_turn_is_stored_with_roles_actions_and_usage(api) -> None:
    headers = await api.user()
    reply = await api.chat(headers, "I want to learn Data Structures in 6 weeks")
    detail = await api.get(headers, f"{BASE}/conversations/{reply['conversation_id']}")
    assert detail["title"] == "I want to learn Data Structures in 6 weeks"
    assert detail["message_count"] == 2
    user, assistant = detail["messages"]
    assert (user["role"], user["content"], user["actions"]) == (
        "user",
        reply and user["content"],
        [],
    )
    assert assistant["role"] == "assistant" and assistant["content"] == reply["reply"]
    assert assistant["id"] == reply["message_id"]
    assert [a["name"] for a in assistant["actions"]] == ["create_course", "create_goal"]
    assert assistant["actions"][0]["result"]["title"] == "Data Structures"
    assert assistant["provider"] == "offline"
    assert set(assistant["usage"]) == {"prompt_tokens", "completion_tokens", "total_tokens", "cost"}
    for item in (detail, user, assistant):
        assert {"id", "created_at", "updated_at"} <= set(item)


async def test_messages_continue_a_conversation_in_order(api) -> None:
    headers = await api.user()
    first = await api.chat(headers, "hello")
    second = await api.chat(headers, "How am I doing?", first["conversation_id"])
    assert second["conversation_id"] == first["conversation_id"]
    detail = await api.get(headers, f"{BASE}/conversations/{first['conversation_id']}")
    assert [m["position"] for m in detail["messages"]] == [0, 1, 2, 3]
    assert [m["content"] for m in detail["messages"]][::2] == ["hello", "How am I doing?"]


async def test_conversations_are_listed_newest_first_with_a_cursor(api) -> None:
    headers = await api.user()
    ids = [(await api.chat(headers, f"hello {n}"))["conversation_id"] for n in range(5)]
    page = await api.get(headers, f"{BASE}/conversations?limit=2")
    seen = [item["id"] for item in page["items"]]
    while page["next_cursor"]:
        page = await api.get(headers, f"{BASE}/conversations?limit=2&cursor={page['next_cursor']}")
        seen += [item["id"] for item in page["items"]]
    assert seen == ids[::-1]
    assert (await api.get(headers, f"{BASE}/conversations"))["next_cursor"] is None


async def test_bad_limits_and_cursors_are_422(api) -> None:
    headers = await api.user()
    for query in ("limit=0", "limit=101", "limit=abc", "limit=-1", "cursor=%%%", "cursor=bm9wZQ"):
        response = await api.client.get(f"{BASE}/conversations?{query}", headers=headers)
        await assert_error(response, 422, "VALIDATION_ERROR")


async def test_another_users_conversation_is_404(api) -> None:
    ada = await api.user("ada@example.com")
    bob = await api.user("bob@example.com")
    mine = await api.chat(ada, "hello")
    path = f"{BASE}/conversations/{mine['conversation_id']}"
    await assert_error(await api.client.get(path, headers=bob), 404, "RESOURCE_NOT_FOUND")
    response = await api.client.post(
        f"{BASE}/chat",
        headers=bob,
        json={"message": "hi", "conversation_id": mine["conversation_id"]},
    )
    await assert_error(response, 404, "RESOURCE_NOT_FOUND")
    assert (await api.get(bob, f"{BASE}/conversations"))["items"] == []
    await assert_error(
        await api.client.get(f"{BASE}/conversations/not-a-uuid", headers=ada),
        404,
        "RESOURCE_NOT_FOUND",
    )


async def test_a_conversation_can_be_deleted(api) -> None:
    headers = await api.user()
    reply = await api.chat(headers, "I want to learn Rust in 3 weeks")
    path = f"{BASE}/conversations/{reply['conversation_id']}"
    response = await api.client.delete(path, headers=headers)
    assert response.status_code == 204
    await assert_error(await api.client.get(path, headers=headers), 404, "RESOURCE_NOT_FOUND")
    assert len(await api.courses(headers)) == 1  # what the assistant created stays


async def test_account_export_and_deletion_cover_conversations(api) -> None:
    headers = await api.user()
    await api.chat(headers, "hello")
    export = await api.get(headers, "/api/v1/auth/me/export")
    conversations = export["plugins"]["ai"]["conversations"]
    assert conversations[0]["messages"][0]["content"] == "hello"
