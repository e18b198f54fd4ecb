"""Retention: the daily task deletes exactly what is past its setting, and nothing else.

Rows get explicit timestamps on both sides of each cutoff, relative to a fixed ``NOW``.
"""

from __future__ import annotations

import time
import uuid
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
from maigie_core.notifications.models import Notification
from maigie_core.realtime.log import MemoryLog
from maigie_core.retention import SCHEDULE, enforce, trim_replay_log
from maigie_core.runtime import runtime
from maigie_core.tasks import enqueue
from maigie_core.tasks.store import FailedTask

NOW = datetime(2031, 5, 20, 3, 27)
DAY = timedelta(days=1)
SECOND = timedelta(seconds=1)


async def _audit(at: datetime) -> str:
    row = await AuditEntry.aio_create(
        user_id=uuid.uuid4(), action="tier", source="system", created_at=at, updated_at=at
    )
    return str(row.id)


async def _failed(at: datetime) -> str:
    row = await FailedTask.aio_create(
        task_name="x.y",
        task_id=uuid.uuid4().hex,
        args="[]",
        kwargs="{}",
        exception="E",
        traceback="",
        attempts=1,
        failed_at=at,
    )
    return str(row.id)


async def _notification(read_at: datetime | None, created_at: datetime) -> str:
    row = await Notification.aio_create(
        user_id=uuid.uuid4(), kind="k", title="t", read_at=read_at, created_at=created_at
    )
    return str(row.id)


async def _mail(at: datetime) -> str:
    row = await MailRecord.aio_create(
        to_address="a@example.com", subject="s", body="b", purpose="p", created_at=at
    )
    return str(row.id)


async def _ids(model: Any) -> set[str]:
    return {str(r.id) for r in await model.select(model.id).aio_execute()}


async def test_each_kind_loses_exactly_what_is_past_its_retention(make_app) -> None:
    app = make_app(
        RETENTION_AUDIT_LOG_DAYS=365,
        RETENTION_FAILED_TASKS_DAYS=30,
        RETENTION_READ_NOTIFICATIONS_DAYS=90,
        RETENTION_MAIL_OUTBOX_DAYS=7,
    )
    async with app.test_app(), app.app_context():
        old_audit, kept_audit = (
            await _audit(NOW - 365 * DAY - SECOND),
            await _audit(NOW - 364 * DAY),
        )
        old_failed, kept_failed = await _failed(NOW - 30 * DAY - SECOND), await _failed(NOW - DAY)
        long_ago = NOW - 400 * DAY
        read_old = await _notification(NOW - 90 * DAY - SECOND, long_ago)
        read_recent = await _notification(NOW - 89 * DAY, long_ago)  # created long ago
        unread_old = await _notification(None, long_ago)  # unread: stays
        old_mail, kept_mail = await _mail(NOW - 7 * DAY - SECOND), await _mail(NOW - 6 * DAY)
        used_old = await UsedToken.aio_create(purpose="reset", expires_at=NOW - SECOND)
        used_live = await UsedToken.aio_create(purpose="reset", expires_at=NOW + SECOND)
        state_old = await OAuthState.aio_create(
            provider="github", code_verifier="v", expires_at=NOW - SECOND
        )
        state_live = await OAuthState.aio_create(
            provider="github", code_verifier="v", expires_at=NOW + SECOND
        )
        ids = {"session_id": uuid.uuid4(), "user_id": uuid.uuid4()}
        refresh_old = await RefreshToken.aio_create(**ids, expires_at=NOW - SECOND)
        refresh_live = await RefreshToken.aio_create(**ids, expires_at=NOW + DAY)
        week = runtime().settings.REFRESH_TOKEN_EXPIRE_DAYS * DAY
        session_old = await AuthSession.aio_create(
            user_id=uuid.uuid4(), last_used_at=NOW - week - SECOND, revoked_at=NOW - week
        )
        session_live = await AuthSession.aio_create(
            user_id=uuid.uuid4(), last_used_at=NOW - week + SECOND
        )

        removed = await enforce(runtime().settings, now=NOW)

        assert removed == {
            "audit_log": 1,
            "failed_tasks": 1,
            "read_notifications": 1,
            "mail_outbox": 1,
            "used_tokens": 1,
            "oauth_states": 1,
            "refresh_tokens": 1,
            "sessions": 1,
        }
        assert await _ids(AuditEntry) == {kept_audit} and old_audit != kept_audit
        assert await _ids(FailedTask) == {kept_failed} and old_failed != kept_failed
        assert await _ids(Notification) == {read_recent, unread_old} and read_old
        assert await _ids(MailRecord) == {kept_mail} and old_mail != kept_mail
        assert await _ids(UsedToken) == {str(used_live.id)} and used_old.id
        assert await _ids(OAuthState) == {str(state_live.id)} and state_old.id
        assert await _ids(RefreshToken) == {str(refresh_live.id)} and refresh_old.id
        assert await _ids(AuthSession) == {str(session_live.id)} and session_old.id
        assert await enforce(runtime().settings, now=NOW) == dict.fromkeys(removed, 0)


async def test_zero_keeps_forever(make_app) -> None:
    app = make_app(
        RETENTION_AUDIT_LOG_DAYS=0,
        RETENTION_FAILED_TASKS_DAYS=0,
        RETENTION_READ_NOTIFICATIONS_DAYS=0,
        RETENTION_MAIL_OUTBOX_DAYS=0,
    )
    ancient = NOW - 3650 * DAY
    async with app.test_app(), app.app_context():
        await _audit(ancient)
        await _failed(ancient)
        await _notification(ancient, ancient)
        await _mail(ancient)
        removed = await enforce(runtime().settings, now=NOW)
        assert set(removed) == {"used_tokens", "oauth_states", "refresh_tokens", "sessions"}
        for model in (AuditEntry, FailedTask, Notification, MailRecord):
            assert len(await _ids(model)) == 1


async def test_the_daily_task_is_registered_and_runs(make_app) -> None:
    app = make_app()
    definition = runtime(app).tasks["core.enforce_retention"]
    assert definition.schedule == SCHEDULE == "27 3 * * *"
    async with app.test_app(), app.app_context():
        ten_years_ago = datetime.now() - 3650 * DAY
        await _failed(ten_years_ago)
        fresh = await _failed(datetime.now() - DAY)
        handle = await enqueue("core.enforce_retention")  # immediate mode: runs inline
        assert handle.id
        assert await _ids(FailedTask) == {fresh}


def test_the_memory_replay_log_drops_events_older_than_its_max_age() -> None:
    now = time.time()

    def event_id(seconds_ago: float) -> int:
        return int((now - seconds_ago) * 1000) * 1000

    log = MemoryLog(per_channel=100, total=1000, floor=0, max_age=3600)
    old, recent = event_id(3700), event_id(60)
    log.append(old, "user:1", "old")
    log.append(recent, "user:1", "recent")
    log.expire(now)
    assert [e[1] for e in log.replay(["user:1"], old).entries] == ["recent"]
    assert log.replay(["user:1"], old - 1).too_old  # the old event is gone: refetch
    log.expire(now + 3600)  # an hour later the recent one has aged out too
    assert len(log) == 0 and log.replay(["user:1"], recent - 1).too_old


async def test_redis_replay_logs_lose_events_older_than_the_ttl(
    make_settings, redis_settings
) -> None:
    from redis.asyncio import Redis

    prefix = redis_settings["REDIS_KEY_PREFIX"]
    settings = make_settings(**redis_settings, REALTIME_LOG_TTL=3600)
    now_ms = 1_900_000_000_000
    old, recent = (now_ms - 3_601_000) * 1000, (now_ms - 60_000) * 1000
    redis = Redis.from_url(settings.REDIS_URL)
    keys = [f"{prefix}rt:log", f"{prefix}rt:log:user:1", f"{prefix}rt:log:user:2"]
    try:
        for key in keys:
            await redis.xadd(key, {"m": "old"}, id=f"{old}-0")
            await redis.xadd(key, {"m": "recent"}, id=f"{recent}-0")
        await redis.set(f"{prefix}rt:seq", str(recent))  # not a stream: left alone
        assert await trim_replay_log(redis, settings, now_ms=now_ms) == 3
        for key in keys:
            remaining = await redis.xrange(key)
            assert [entry_id for entry_id, _fields in remaining] == [f"{recent}-0".encode()]
        assert await redis.get(f"{prefix}rt:seq") == str(recent).encode()
    finally:
        await redis.aclose()
