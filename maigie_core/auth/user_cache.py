"""The authenticated user on the hot path: one precompiled SQL statement, or none.

``UserRecord`` is everything ``require_user`` and ``GET /me`` need about a user. It is
read with one prepared-once statement by primary key, and kept for
``AUTH_CACHE_SECONDS`` in a per-process :class:`UserCache` **only while the process is
subscribed to the invalidation channel** (Redis pub/sub, see ``invalidation.py``): every
change to a user (tier, role, password, profile, deletion) publishes the user id after
its commit, and every process drops its copy. Without Redis, or while the subscription
is down, the cache is bypassed and each request costs exactly one statement, so a
change made by another process (``maigie users set-tier``) applies from the next request.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from maigie_core.auth.models import User
from maigie_core.db import Database
from maigie_core.principal import Principal

_COLUMNS = (
    "id, email, name, role, tier, timezone, preferences, email_verified, is_active, "
    "token_version, password_hash IS NOT NULL, created_at, updated_at, tier_period_end, "
    "revoked_sessions"
)


@dataclass(frozen=True, slots=True)
class UserRecord:
    """A snapshot of one user row, as authentication and ``/me`` use it."""

    principal: Principal
    name: str
    preferences_json: str
    email_verified: bool
    is_active: bool
    token_version: int
    has_password: bool
    created_at: datetime
    updated_at: datetime
    tier_period_end: datetime | None
    revoked_sessions: frozenset[str] = frozenset()  # session ids whose access tokens died
    me: dict[str, Any] = field(default_factory=dict, compare=False)  # GET /me, built once

    @property
    def id(self) -> str:
        return self.principal.id


def rfc3339(value: datetime | None) -> str | None:
    """Naive-UTC column value → ``2026-11-05T10:00:00.123456Z``."""
    return None if value is None else value.isoformat() + "Z"


def preferences_of(raw: str) -> dict[str, Any]:
    """Stored preferences JSON with every key present."""
    defaults: dict[str, Any] = {"interests": [], "academic_level": None, "availability": []}
    try:
        stored = json.loads(raw or "{}")
    except ValueError:
        stored = {}
    if isinstance(stored, dict):
        defaults.update(stored)
    return defaults


def _me_json(record: UserRecord) -> dict[str, Any]:
    p = record.principal
    return {
        "id": p.id,
        "email": p.email,
        "name": record.name,
        "role": p.role,
        "tier": p.tier,
        "tier_period_end": rfc3339(record.tier_period_end),
        "timezone": p.timezone,
        "preferences": preferences_of(record.preferences_json),
        "email_verified": record.email_verified,
        "has_password": record.has_password,
        "created_at": rfc3339(record.created_at),
        "updated_at": rfc3339(record.updated_at),
    }


# ``maigie_user.revoked_sessions``: "sid@until,sid@until" (until: epoch seconds after
# which no access token of that session can still be valid).


def revoked_session_ids(stored: str) -> list[str]:
    """The session ids listed in a ``revoked_sessions`` column."""
    return [entry.partition("@")[0] for entry in stored.split(",") if entry]


def with_revoked(stored: str, session_id: str, now: int, access_ttl: int) -> str:
    """``stored`` plus ``session_id`` (listed until its access tokens have expired),
    without the entries that expired by ``now``."""
    kept = []
    for entry in filter(None, stored.split(",")):
        until = entry.partition("@")[2]
        if until.isdigit() and int(until) > now:
            kept.append(entry)
    return ",".join([*kept, f"{session_id}@{now + access_ttl + 1}"])


def _datetime(value: Any) -> datetime | None:
    converted: datetime | None = User.created_at.python_value(value)
    return converted


def record_from_row(row: Sequence[Any]) -> UserRecord:
    user_id = row[0]
    user_id = str(User.id.python_value(user_id))
    created_at = _datetime(row[11])
    updated_at = _datetime(row[12])
    assert created_at is not None and updated_at is not None
    record = UserRecord(
        principal=Principal(id=user_id, email=row[1], role=row[3], tier=row[4], timezone=row[5]),
        name=row[2],
        preferences_json=row[6] or "{}",
        email_verified=bool(row[7]),
        is_active=bool(row[8]),
        token_version=int(row[9]),
        has_password=bool(row[10]),
        created_at=created_at,
        updated_at=updated_at,
        tier_period_end=_datetime(row[13]),
        revoked_sessions=frozenset(revoked_session_ids(row[14] or "")),
    )
    record.me.update(_me_json(record))
    return record


async def _fetch_one(_db: Any, cursor: Any) -> Any:
    return await cursor.fetchone()


class UserLoader:
    """Reads a :class:`UserRecord` by id with a statement built once per database."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.sql = f"SELECT {_COLUMNS} FROM maigie_user WHERE id = {db.param}"

    async def load(self, user_id: str) -> UserRecord | None:
        try:
            param = User.id.db_value(user_id)
        except (ValueError, AttributeError, TypeError):
            return None
        row = await self.db.aio_execute_sql(self.sql, (param,), fetch_results=_fetch_one)
        return None if row is None else record_from_row(row)


class UserCache:
    """Per-process, bounded, short-lived; usable only while ``live`` (invalidation works)."""

    def __init__(self, ttl_seconds: float, max_size: int) -> None:
        self.ttl = ttl_seconds
        self.max_size = max_size
        self.entries: dict[str, tuple[float, UserRecord]] = {}
        self.live = False
        # Bumped by every invalidation: a load that started before one is never stored.
        self.epoch = 0

    @property
    def enabled(self) -> bool:
        return self.ttl > 0 and self.max_size > 0

    def get(self, user_id: str) -> UserRecord | None:
        if not self.live:
            return None
        entry = self.entries.get(user_id)
        if entry is None:
            return None
        if entry[0] < time.monotonic():
            self.entries.pop(user_id, None)
            return None
        return entry[1]

    def put(self, record: UserRecord, epoch: int) -> None:
        if not self.live or epoch != self.epoch:
            return
        if len(self.entries) >= self.max_size:
            self.entries.pop(next(iter(self.entries)))
        self.entries[record.id] = (time.monotonic() + self.ttl, record)

    def drop(self, user_id: str) -> None:
        self.epoch += 1
        self.entries.pop(user_id, None)

    def clear(self) -> None:
        self.epoch += 1
        self.entries.clear()

    def set_live(self, live: bool) -> None:
        self.clear()
        self.live = live and self.enabled
