"""Conversations and messages: storing a turn, reading them back, SPEC pagination.

Positions number a conversation's messages from 0; ``context_start`` is the first
position a provider sees again (``forget that`` moves it past the current turn).
Lists are newest first by ``(created_at, id)``, paged by ``maigie_core.pagination``.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

from maigie_ai.models import Conversation, Message
from maigie_core import NotFound
from maigie_core.pagination import decode_cursor, page
from maigie_core.responses import rfc3339

TITLE_CHARS = 80


def parse_id(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise NotFound("Conversation not found") from None


def conversation_json(row: Conversation) -> dict[str, Any]:
    return {
        "id": str(row.id),
        "created_at": rfc3339(row.created_at),
        "updated_at": rfc3339(row.updated_at),
        "title": row.title,
        "message_count": row.message_count,
        "last_message_at": rfc3339(row.last_message_at) if row.last_message_at else None,
    }


def message_json(row: Message) -> dict[str, Any]:
    total = None
    if row.prompt_tokens is not None or row.completion_tokens is not None:
        total = (row.prompt_tokens or 0) + (row.completion_tokens or 0)
    return {
        "id": str(row.id),
        "created_at": rfc3339(row.created_at),
        "updated_at": rfc3339(row.updated_at),
        "position": row.position,
        "role": row.role,
        "content": row.content,
        "actions": json.loads(row.actions or "[]"),
        "provider": row.provider,
        "model": row.model,
        "usage": {
            "prompt_tokens": row.prompt_tokens,
            "completion_tokens": row.completion_tokens,
            "total_tokens": total,
            "cost": row.cost,
        },
    }


async def owned(owner: uuid.UUID, conversation_id: uuid.UUID) -> Conversation:
    row: Conversation | None = (
        await Conversation.select()
        .where((Conversation.id == conversation_id) & (Conversation.owner_id == owner))
        .aio_first()
    )
    if row is None:
        raise NotFound("Conversation not found")
    return row


async def history(conversation: Conversation, limit: int) -> list[dict[str, str]]:
    """The messages a provider sees: since ``context_start``, the last ``limit``."""
    if limit <= 0:
        return []
    rows = await (
        Message.select(Message.role, Message.content)
        .where(
            (Message.conversation == conversation.id)
            & (Message.position >= conversation.context_start)
        )
        .order_by(Message.position.desc())
        .limit(limit)
        .aio_execute()
    )
    return [{"role": r.role, "content": r.content} for r in reversed(list(rows))]


async def list_page(owner: uuid.UUID, limit: int, cursor: str | None) -> dict[str, Any]:
    """The caller's conversations, newest first (the core's one pagination style)."""
    query = Conversation.select().where(Conversation.owner_id == owner)
    after = decode_cursor(cursor)
    if after is not None:
        stamp, ident = after
        query = query.where(
            (Conversation.created_at < stamp)
            | ((Conversation.created_at == stamp) & (Conversation.id < ident))
        )
    rows = list(
        await query.order_by(Conversation.created_at.desc(), Conversation.id.desc())
        .limit(limit + 1)
        .aio_execute()
    )
    return page(rows, limit, lambda r: (r.created_at, r.id), conversation_json)


async def detail(owner: uuid.UUID, conversation_id: uuid.UUID) -> dict[str, Any]:
    row = await owned(owner, conversation_id)
    messages = await (
        Message.select()
        .where(Message.conversation == row.id)
        .order_by(Message.position)
        .aio_execute()
    )
    return {
        **conversation_json(row),
        "context_start": row.context_start,
        "messages": [message_json(m) for m in messages],
    }


def new_title(message: str) -> str:
    text = " ".join(message.split())
    return text if len(text) <= TITLE_CHARS else text[: TITLE_CHARS - 1].rstrip() + "…"


async def delete(owner: uuid.UUID, conversation_id: uuid.UUID) -> None:
    row = await owned(owner, conversation_id)
    await Message.delete().where(Message.conversation == row.id).aio_execute()
    await Conversation.delete().where(Conversation.id == row.id).aio_execute()


async def purge(before: datetime) -> int:
    """Delete conversations idle since before ``before`` (retention)."""
    stale = Conversation.select(Conversation.id).where(Conversation.updated_at < before)
    await Message.delete().where(Message.conversation.in_(stale)).aio_execute()
    deleted: int = await Conversation.delete().where(Conversation.updated_at < before).aio_execute()
    return deleted
