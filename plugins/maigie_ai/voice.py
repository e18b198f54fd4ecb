"""Voice sessions (Premium) and the transcription seam.

``POST /voice-session`` returns a descriptor for the realtime socket: the WebSocket URL,
a private channel ``ai-voice:{id}`` (only its owner may subscribe) and what the session
can do. Speech-to-text is behind ``Transcriber``; this build ships only ``none``: with
no network there is no transcription, and the descriptor says so (``available: false``)
— clients send the transcript as text to ``POST /chat`` meanwhile.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any, Protocol

from maigie_ai.models import VoiceSession
from maigie_ai.settings import AISettings
from maigie_core import Principal, utcnow
from maigie_core.responses import rfc3339

CHANNEL_PREFIX = "ai-voice:"
VOICE_LIMIT = "ai_voice"


class Transcriber(Protocol):
    """Speech to text for voice sessions."""

    name: str
    available: bool

    async def transcribe(self, audio: bytes, mime_type: str) -> str: ...


class NoTranscriber:
    """The offline default: there is no speech-to-text without a provider."""

    name = "none"
    available = False
    message = (
        "No speech-to-text provider is configured (the offline build has none): audio "
        "cannot be transcribed. Send the user's words as text to POST /api/v1/ai/chat."
    )

    async def transcribe(self, audio: bytes, mime_type: str) -> str:
        raise NotImplementedError(self.message)


def transcriber(settings: AISettings) -> NoTranscriber:
    return NoTranscriber()


async def open_session(
    user: Principal, settings: AISettings, conversation_id: uuid.UUID | None
) -> dict[str, Any]:
    now = utcnow()
    row_id = uuid.uuid4()
    expires = now + timedelta(minutes=settings.voice_session_minutes)
    await VoiceSession.insert(
        id=row_id,
        owner_id=uuid.UUID(user.id),
        conversation_id=conversation_id,
        expires_at=expires,
        created_at=now,
        updated_at=now,
    ).aio_execute()
    speech = transcriber(settings)
    return {
        "id": str(row_id),
        "created_at": rfc3339(now),
        "updated_at": rfc3339(now),
        "expires_at": rfc3339(expires),
        "conversation_id": str(conversation_id) if conversation_id else None,
        "websocket_url": "/api/v1/realtime/ws",
        "channel": f"{CHANNEL_PREFIX}{row_id}",
        "events": ["ai.message"],
        "transcription": {
            "provider": speech.name,
            "available": speech.available,
            "message": speech.message,
        },
    }


async def may_subscribe(channel: str, user: Principal) -> bool | None:
    """``ai-voice:{id}``: its owner, while the session has not expired."""
    if not channel.startswith(CHANNEL_PREFIX):
        return None
    try:
        session_id = uuid.UUID(channel[len(CHANNEL_PREFIX) :])
    except ValueError:
        return False
    row = (
        await VoiceSession.select()
        .where(
            (VoiceSession.id == session_id)
            & (VoiceSession.owner_id == uuid.UUID(user.id))
            & (VoiceSession.expires_at > utcnow())
        )
        .aio_first()
    )
    return row is not None
