"""Subscription tiers: the limit registry, ``check_limit``, usage, tier changes.

Plugins declare limits with ``register_tier_limits`` and enforce them with one call::

    from maigie_core.tiers import check_limit
    await check_limit(current_user(), "ai_chat_messages")   # 403 when exceeded
"""

from __future__ import annotations

from quart import Quart

from maigie_core.errors import SubscriptionLimitExceeded
from maigie_core.runtime import Runtime
from maigie_core.tiers.limits import (
    LimitUsage,
    allowance,
    check_limit,
    get_limit,
    release_limit,
    usage_summary,
)

__all__ = [
    "LimitUsage",
    "allowance",
    "check_limit",
    "frozen_error",
    "get_limit",
    "install_tiers",
    "release_limit",
    "usage_summary",
]


def frozen_error(kind: str, limit_name: str) -> SubscriptionLimitExceeded:
    """The 403 a plugin raises on a write to an object frozen by a downgrade."""
    return SubscriptionLimitExceeded(
        f"This {kind} is read-only: it exceeds your plan's limits",
        detail={"limit": limit_name, "frozen": True},
    )


def install_tiers(app: Quart, rt: Runtime) -> None:
    """Serve ``/api/v1/subscription`` (limits come from ``rt.tier_limits``)."""
    from maigie_core.tiers.routes import subscription_blueprint

    app.register_blueprint(subscription_blueprint)
