"""Housekeeping: conversations past their retention, expired idempotency keys and sessions."""

from __future__ import annotations

from datetime import timedelta

from maigie_ai import conversations, idempotency
from maigie_ai.models import VoiceSession
from maigie_ai.settings import AISettings
from maigie_core import runtime, utcnow
from maigie_core.tasks import periodic_task


def _settings() -> AISettings:
    found = (s for s in runtime().plugin_settings.values() if isinstance(s, AISettings))
    return next(found, AISettings())


@periodic_task("ai.purge_expired", "17 3 * * *", category="ai")
async def purge_expired() -> dict[str, int]:
    """Delete conversations idle past their retention, old idempotency keys and voice sessions."""
    settings = _settings()
    now = utcnow()
    removed = {"conversations": 0}
    if settings.conversation_retention_days:
        removed["conversations"] = await conversations.purge(
            now - timedelta(days=settings.conversation_retention_days)
        )
    removed["idempotency_keys"] = await idempotency.purge(
        now - timedelta(hours=settings.idempotency_ttl_hours)
    )
    removed["voice_sessions"] = (
        await VoiceSession.delete().where(VoiceSession.expires_at < now).aio_execute()
    )
    return removed
