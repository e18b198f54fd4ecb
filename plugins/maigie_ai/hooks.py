"""Every hook the AI plugin implements: its whole contract with the core.

It drives other plugins only through the actions they declare (``runtime().ai_actions``
holds those of enabled plugins) and reads their objects through ``resolve_object``;
it imports none of them.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from quart import Blueprint, Quart

from maigie_ai import state, voice
from maigie_ai.models import Conversation, IdempotencyKey, Message, VoiceSession
from maigie_ai.routes import ai_blueprint
from maigie_ai.settings import AISettings
from maigie_ai.tasks import purge_expired
from maigie_core import Migrations, Principal, TaskDefinition, TierLimit, hookimpl
from maigie_core.responses import rfc3339

CHAT_MESSAGES_FREE = 50


@hookimpl
def register_blueprints() -> list[Blueprint]:
    return [ai_blueprint]


@hookimpl
def register_migrations() -> Migrations:
    return Migrations(owner="ai", package="maigie_ai.migrations")


@hookimpl
def register_settings() -> type[AISettings]:
    return AISettings


@hookimpl
def register_tier_limits() -> list[TierLimit]:
    return [
        TierLimit(
            "ai_chat_messages",
            "AI chat messages",
            {"free": CHAT_MESSAGES_FREE, "premium_monthly": None, "premium_yearly": None},
            period="month",
        ),
        TierLimit(
            voice.VOICE_LIMIT,
            "AI voice sessions",
            {"free": 0, "premium_monthly": None, "premium_yearly": None},
            period="none",
        ),
    ]


@hookimpl
def register_tasks() -> list[TaskDefinition]:
    return [purge_expired]


@hookimpl
async def authorize_channel(channel: str, user: Principal) -> bool | None:
    return await voice.may_subscribe(channel, user)


@hookimpl
async def delete_user_data(user_id: str) -> None:
    owner = uuid.UUID(str(user_id))
    await Message.delete().where(Message.owner_id == owner).aio_execute()
    await Conversation.delete().where(Conversation.owner_id == owner).aio_execute()
    await IdempotencyKey.delete().where(IdempotencyKey.owner_id == owner).aio_execute()
    await VoiceSession.delete().where(VoiceSession.owner_id == owner).aio_execute()


@hookimpl
async def export_user_data(user_id: str) -> dict[str, Any]:
    owner = uuid.UUID(str(user_id))
    rows = (
        await Conversation.select()
        .where(Conversation.owner_id == owner)
        .order_by(Conversation.created_at)
        .aio_execute()
    )
    out = []
    for row in rows:
        messages = (
            await Message.select()
            .where(Message.conversation == row.id)
            .order_by(Message.position)
            .aio_execute()
        )
        out.append(
            {
                "id": str(row.id),
                "title": row.title,
                "created_at": rfc3339(row.created_at),
                "messages": [
                    {
                        "role": m.role,
                        "content": m.content,
                        "actions": json.loads(m.actions or "[]"),
                        "created_at": rfc3339(m.created_at),
                    }
                    for m in messages
                ],
            }
        )
    return {"conversations": out}


@hookimpl
async def shutdown(app: Quart) -> None:
    await state.close(app)
