"""Replies as ``ai.message`` events on the user's channel: chunks, then the final message.

Chunks are published at once (outside any transaction); the final event is emitted in
the transaction that stores the turn, so it goes out only once the turn is committed.
Every event carries ``conversation_id`` and ``message_id``; ``status`` is ``streaming``
(with ``index`` and ``delta``) or ``complete`` (with the whole ``reply`` and ``actions``).
"""

from __future__ import annotations

from typing import Any

from maigie_ai.state import ai_state
from maigie_core import emit

EVENT = "ai.message"


def chunks(text: str, size: int) -> list[str]:
    """``text`` in pieces of about ``size`` characters, cut after spaces."""
    out: list[str] = []
    start = 0
    while start < len(text):
        end = min(len(text), start + size)
        if end < len(text):
            space = text.rfind(" ", start, end)
            if space > start:
                end = space + 1
        out.append(text[start:end])
        start = end
    return out


async def stream(user_id: str, body: dict[str, Any]) -> int:
    pieces = chunks(body["reply"], ai_state().settings.stream_chunk_chars)
    for index, piece in enumerate(pieces):
        await emit(
            EVENT,
            user_id,
            {
                "conversation_id": body["conversation_id"],
                "message_id": body["message_id"],
                "status": "streaming",
                "index": index,
                "delta": piece,
            },
        )
    return len(pieces)


async def final(user_id: str, body: dict[str, Any]) -> None:
    await emit(
        EVENT,
        user_id,
        {
            "conversation_id": body["conversation_id"],
            "message_id": body["message_id"],
            "status": "complete",
            "reply": body["reply"],
            "actions": body["actions"],
        },
    )
