"""The one place tier limits are enforced: ``await check_limit(user, "ai_chat_messages")``.

Limits come from the plugins' ``register_tier_limits``. A ``day``/``month`` limit
consumes one use (atomically, see ``counters.py``) or raises; a ``none`` limit compares
what the user holds (``current=`` or the limit's ``count``) with the allowance. Either
way an exceeded limit is 403 ``SUBSCRIPTION_LIMIT_EXCEEDED`` naming the limit.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from maigie_core.errors import SubscriptionLimitExceeded
from maigie_core.hookspecs import TIERS, Tier, TierLimit
from maigie_core.principal import Principal
from maigie_core.runtime import Runtime, runtime
from maigie_core.tiers import counters
from maigie_core.tiers.periods import current_period


@dataclass(frozen=True)
class LimitUsage:
    """Where a user stands on one limit after ``check_limit``."""

    name: str
    allowance: int | None
    used: int
    period: str
    resets_at: datetime | None


def get_limit(name: str, rt: Runtime | None = None) -> TierLimit:
    limits = (rt or runtime()).tier_limits
    try:
        return limits[name]
    except KeyError:
        known = ", ".join(sorted(limits)) or "none"
        raise LookupError(f"unknown tier limit {name!r} (declared: {known})") from None


def allowance(name: str, tier: Tier, rt: Runtime | None = None) -> int | None:
    """What ``tier`` allows for limit ``name``: a number, or ``None`` for unlimited."""
    return get_limit(name, rt).values.get(tier)


def _exceeded(limit: TierLimit, tier: str, cap: int, used: int, resets_at: Any) -> Exception:
    if cap == 0:
        message = f"{limit.description} requires a Premium subscription"
    else:
        per = {"day": " per day", "month": " per month"}.get(limit.period, "")
        message = f"Limit reached: {limit.description} ({cap}{per} on the {tier} tier)"
    return SubscriptionLimitExceeded(
        message,
        detail={
            "limit": limit.name,
            "tier": tier,
            "allowed": cap,
            "used": used,
            "period": limit.period,
            "resets_at": resets_at.isoformat().replace("+00:00", "Z") if resets_at else None,
        },
    )


async def _held(limit: TierLimit, user_id: str) -> int:
    if limit.count is None:
        return 0
    value = limit.count(user_id)
    if inspect.isawaitable(value):
        value = await value
    return int(value)


async def check_limit(
    user: Principal, name: str, *, amount: int = 1, current: int | None = None
) -> LimitUsage:
    """Allow ``amount`` more of limit ``name`` for ``user`` or raise 403 naming the limit.

    ``day``/``month`` limits record the use (call it when the thing is done or about
    to be done; ``release_limit`` gives it back if the operation then fails). ``none``
    limits record nothing: pass ``current`` (how many the user holds now), or declare
    ``TierLimit.count``; a feature that is off for a tier (allowance 0) always raises.
    """
    rt = runtime()
    limit = get_limit(name, rt)
    cap = limit.values.get(user.tier)
    if limit.period == "none":
        held = current if current is not None else await _held(limit, user.id)
        if cap is not None and held + amount > cap:
            raise _exceeded(limit, user.tier, cap, held, None)
        return LimitUsage(name, cap, held + amount, "none", None)
    if cap == 0:
        raise _exceeded(limit, user.tier, 0, 0, None)
    key, resets_at = current_period(limit.period)
    used = await counters.consume(
        rt, user.id, name, key, amount, cap, int(resets_at.timestamp()) + 86400
    )
    if used is None:
        totals = await counters.read(rt, user.id, [(name, key)])
        raise _exceeded(limit, user.tier, cap or 0, totals[(name, key)], resets_at)
    return LimitUsage(name, cap, used, limit.period, resets_at)


async def release_limit(user: Principal, name: str, amount: int = 1) -> None:
    """Give back uses recorded by ``check_limit`` (the operation failed afterwards)."""
    rt = runtime()
    limit = get_limit(name, rt)
    if limit.period != "none":
        key, _ = current_period(limit.period)
        await counters.release(rt, user.id, name, key, amount)


async def usage_summary(user: Principal) -> dict[str, Any]:
    """Every declared limit with the user's allowance and usage this period."""
    rt = runtime()
    periodic = [lim for lim in rt.tier_limits.values() if lim.period != "none"]
    keys = {lim.name: current_period(lim.period) for lim in periodic}
    totals = await counters.read(rt, user.id, [(n, k[0]) for n, k in keys.items()])
    items = []
    for limit in sorted(rt.tier_limits.values(), key=lambda lim: lim.name):
        cap = limit.values.get(user.tier)
        if limit.period == "none":
            used, resets_at = await _held(limit, user.id), None
        else:
            key, resets = keys[limit.name]
            used, resets_at = totals[(limit.name, key)], resets.isoformat().replace("+00:00", "Z")
        items.append(
            {
                "name": limit.name,
                "description": limit.description,
                "period": limit.period,
                "limit": cap,
                "used": used,
                "remaining": None if cap is None else max(0, cap - used),
                "resets_at": resets_at,
                "tiers": {tier: limit.values.get(tier) for tier in TIERS},
            }
        )
    return {"tier": user.tier, "limits": items}
