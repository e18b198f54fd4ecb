"""Retention: what the core keeps, for how long, and the daily task that enforces it.

``core.enforce_retention`` (a periodic task, daily at 03:27 UTC) deletes:

* audit-log entries older than ``RETENTION_AUDIT_LOG_DAYS``;
* failed tasks that failed more than ``RETENTION_FAILED_TASKS_DAYS`` ago;
* notifications read more than ``RETENTION_READ_NOTIFICATIONS_DAYS`` ago (unread ones
  stay until they are read or their user is deleted);
* offline-outbox mails older than ``RETENTION_MAIL_OUTBOX_DAYS`` (their links carry
  verification and reset tokens);
* single-use-token records, OAuth states and refresh tokens past their expiry: a token
  past its expiry is refused on its own, so its row has no use left;
* with Redis, realtime replay-log entries older than ``REALTIME_LOG_TTL`` from the
  catch-up stream and every channel's stream (the in-memory log of each process drops
  them itself, ``maigie_core.realtime.log``).

A setting of 0 keeps that kind forever. Plugins enforce their own data's retention with
their own periodic tasks (the AI plugin: ``ai.purge_expired``).
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Any

from maigie_core.auth.models import (
    AuditEntry,
    AuthSession,
    MailRecord,
    OAuthState,
    RefreshToken,
    UsedToken,
)
from maigie_core.db import utcnow
from maigie_core.notifications.models import Notification
from maigie_core.runtime import runtime
from maigie_core.settings import Settings
from maigie_core.tasks import TaskDefinition, periodic_task
from maigie_core.tasks.store import FailedTask

SCHEDULE = "27 3 * * *"


def _before(now: datetime, days: int) -> datetime | None:
    return now - timedelta(days=days) if days > 0 else None


async def enforce(settings: Settings, now: datetime | None = None) -> dict[str, int]:
    """Delete everything past retention at ``now`` (naive UTC); counts per kind."""
    now = now or utcnow()
    removed: dict[str, int] = {}
    s = settings
    # (kind, table, its time column, retention in days or the cutoff itself)
    rules: list[tuple[str, Any, Any, int | datetime]] = [
        ("audit_log", AuditEntry, AuditEntry.created_at, s.RETENTION_AUDIT_LOG_DAYS),
        ("failed_tasks", FailedTask, FailedTask.failed_at, s.RETENTION_FAILED_TASKS_DAYS),
        (
            "read_notifications",
            Notification,
            Notification.read_at,
            s.RETENTION_READ_NOTIFICATIONS_DAYS,
        ),
        ("mail_outbox", MailRecord, MailRecord.created_at, s.RETENTION_MAIL_OUTBOX_DAYS),
        ("used_tokens", UsedToken, UsedToken.expires_at, now),
        ("oauth_states", OAuthState, OAuthState.expires_at, now),
        ("refresh_tokens", RefreshToken, RefreshToken.expires_at, now),
        # a session (refresh family) unused for a refresh-token lifetime has no live
        # refresh token left, revoked or not: its row has no use
        ("sessions", AuthSession, AuthSession.last_used_at, s.REFRESH_TOKEN_EXPIRE_DAYS),
    ]
    for kind, model, column, keep in rules:
        cutoff = keep if isinstance(keep, datetime) else _before(now, keep)
        if cutoff is not None:
            removed[kind] = int(await model.delete().where(column < cutoff).aio_execute())
    return removed


async def trim_replay_log(redis: Any, settings: Settings, now_ms: int | None = None) -> int:
    """Drop Redis replay-log entries older than ``REALTIME_LOG_TTL``; entries removed.

    Stream ids are event ids, and an event id divided by 1000 is its Unix time in ms.
    """
    now_ms = int(time.time() * 1000) if now_ms is None else now_ms
    min_id = f"{(now_ms - int(settings.REALTIME_LOG_TTL * 1000)) * 1000}-0"
    prefix = f"{settings.REDIS_KEY_PREFIX}rt:log"
    removed = int(await redis.xtrim(prefix, minid=min_id, approximate=False))
    async for key in redis.scan_iter(match=f"{prefix}:*", count=500, _type="stream"):
        removed += int(await redis.xtrim(key, minid=min_id, approximate=False))
    return removed


@periodic_task(
    "core.enforce_retention",
    SCHEDULE,
    category="core",
    description="Delete audit entries, failed tasks, read notifications, outbox mails and "
    "expired tokens past their retention settings",
)
async def enforce_retention() -> dict[str, int]:
    rt = runtime()
    removed = await enforce(rt.settings)
    if rt.redis is not None:
        removed["replay_log_events"] = await trim_replay_log(rt.redis, rt.settings)
    return removed


RETENTION_TASKS: list[TaskDefinition] = [enforce_retention]
