"""``GET /api/v1/subscription``: the caller's tier, every limit and this period's usage."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from quart import Blueprint
from quart_schema import document_response

from maigie_core.auth.guards import current_record, require_user
from maigie_core.auth.user_cache import rfc3339
from maigie_core.hookspecs import Tier
from maigie_core.tiers.limits import usage_summary

subscription_blueprint = Blueprint("subscription", __name__, url_prefix="/api/v1/subscription")


class LimitOut(BaseModel):
    name: str
    description: str
    period: str
    limit: int | None
    used: int
    remaining: int | None
    resets_at: str | None
    tiers: dict[str, int | None]


class SubscriptionOut(BaseModel):
    tier: Tier
    tier_period_end: str | None
    is_premium: bool
    limits: list[LimitOut]


@subscription_blueprint.get("")
@require_user
@document_response(SubscriptionOut)
async def get_subscription() -> dict[str, Any]:
    """The caller's tier, when a paid period ends, and each limit with its usage."""
    record = current_record()
    summary = await usage_summary(record.principal)
    return {
        "tier": record.principal.tier,
        "tier_period_end": rfc3339(record.tier_period_end),
        "is_premium": record.principal.is_premium,
        "limits": summary["limits"],
    }
