"""Conversations past ``conversation_retention_days`` go (with their messages), others stay.

The plugin's own periodic task ``ai.purge_expired`` enforces it; idle time is
``updated_at``, set explicitly here on both sides of the cutoff.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from maigie_ai.models import Conversation, Message

from maigie_core import utcnow
from maigie_core.runtime import runtime
from maigie_core.tasks import enqueue


async def _conversation_idle_for(api, headers, days: int) -> str:
    reply = await api.chat(headers, "hello")
    conversation_id = str(reply["conversation_id"])
    async with api.app.app_context():
        await (
            Conversation.update(updated_at=utcnow() - timedelta(days=days))
            .where(Conversation.id == uuid.UUID(conversation_id))
            .aio_execute()
        )
    return conversation_id


async def _remaining(app) -> tuple[set[str], set[str]]:
    async with app.app_context():
        conversations = {str(c.id) for c in await Conversation.select().aio_execute()}
        owners = {str(m.conversation_id) for m in await Message.select().aio_execute()}
    return conversations, owners


async def test_conversations_idle_past_retention_are_purged_with_their_messages(
    make_ai_app,
) -> None:
    from ai_support import AiApi

    app = make_ai_app(ai={"conversation_retention_days": 30})
    assert runtime(app).tasks["ai.purge_expired"].schedule
    async with app.test_app():
        api = AiApi(app)
        headers = await api.user("ada@example.com")
        stale = await _conversation_idle_for(api, headers, 31)
        kept = await _conversation_idle_for(api, headers, 29)
        async with app.app_context():
            await enqueue("ai.purge_expired")  # immediate mode: runs inline
        assert await _remaining(app) == ({kept}, {kept})
        assert stale != kept


async def test_zero_retention_keeps_conversations(make_ai_app) -> None:
    from ai_support import AiApi

    app = make_ai_app(ai={"conversation_retention_days": 0})
    async with app.test_app():
        api = AiApi(app)
        headers = await api.user("ada@example.com")
        ancient = await _conversation_idle_for(api, headers, 3650)
        async with app.app_context():
            await enqueue("ai.purge_expired")
        assert await _remaining(app) == ({ancient}, {ancient})
