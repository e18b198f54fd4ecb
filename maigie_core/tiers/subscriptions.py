"""Tier changes: the audit log, the ``apply_tier_limits`` hook, the end of paid periods.

A change is committed (with its audit entry), then every process's auth cache drops the
user (the new tier applies from their next request, existing tokens keep working) and
then the plugins freeze or unfreeze the user's objects through ``apply_tier_limits``.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import cast

from dateutil.relativedelta import relativedelta

from maigie_core.auth import accounts
from maigie_core.auth.models import User
from maigie_core.auth.state import AuthState
from maigie_core.db import transaction, utcnow
from maigie_core.hookspecs import TIERS

log = logging.getLogger("maigie.tiers")

_PERIODS = {"premium_monthly": relativedelta(months=1), "premium_yearly": relativedelta(years=1)}
_UNSET = object()


def default_period_end(tier: str, start: datetime | None = None) -> datetime | None:
    """When a paid tier granted now ends: one month or one year; ``None`` for free."""
    delta = _PERIODS.get(tier)
    return None if delta is None else (start or utcnow()) + delta


async def change_tier(
    state: AuthState,
    user_id: str,
    tier: str,
    *,
    period_end: datetime | object | None = _UNSET,
    actor_id: str | None,
    source: str,
) -> User:
    """Set the user's tier (and period end); audit it; let plugins freeze/unfreeze."""
    if tier not in TIERS:
        raise ValueError(f"unknown tier {tier!r} (tiers: {', '.join(TIERS)})")
    user = await accounts.get_user(user_id)
    previous = user.tier
    if period_end is _UNSET:
        period_end = default_period_end(tier) if tier != previous else user.tier_period_end
    end = cast("datetime | None", period_end) if tier != "free" else None
    async with transaction():
        await (
            User.update(tier=tier, tier_period_end=end, updated_at=utcnow())
            .where(User.id == user.id)
            .aio_execute()
        )
        if tier != previous:
            await accounts.record_audit(
                user.id, "tier.changed", previous, tier, actor_id=actor_id, source=source
            )
    await accounts.invalidate(state, user.id)
    if tier != previous:
        await state.runtime.plugins.call(
            "apply_tier_limits",
            user_id=str(user.id),
            tier=tier,
            previous_tier=previous,
        )
    return await accounts.get_user(user.id)


async def expire_tiers(state: AuthState, now: datetime | None = None) -> list[str]:
    """Drop every paid tier whose period has ended to free; returns the user ids.

    Run periodically (a task once the task queue exists; ``maigie users expire-tiers``).
    """
    now = now or utcnow()
    due = (
        await User.select(User.id)
        .where(
            (User.tier != "free")
            & User.tier_period_end.is_null(False)
            & (User.tier_period_end <= now)
        )
        .aio_execute()
    )
    expired = []
    for row in due:
        try:
            await change_tier(state, str(row.id), "free", actor_id=None, source="expiry")
            expired.append(str(row.id))
        except Exception:  # one bad account never stops the others
            log.exception("could not expire the tier of user %s", row.id)
    return expired


def parse_until(value: str) -> datetime:
    """``YYYY-MM-DD`` (end of that day, UTC) or an ISO datetime → naive UTC."""
    from datetime import UTC

    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    elif len(value) == 10:
        parsed = parsed + timedelta(days=1)
    return parsed
