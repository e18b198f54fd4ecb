"""check_limit: per-tier allowances, periods, the 403 naming the limit, /subscription."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from auth_support import Api, assert_error

from maigie_core import Principal
from maigie_core.tiers import check_limit, release_limit
from maigie_core.tiers.periods import current_period


async def _set_tier(api: Api, headers: dict[str, str], tier: str) -> None:
    admin = await api.admin("root@example.com")
    user_id = (await api.me(headers))["id"]
    response = await api.client.patch(
        f"/api/v1/admin/users/{user_id}", headers=admin, json={"tier": tier}
    )
    assert response.status_code == 200


async def test_monthly_limit_allows_its_allowance_then_403_naming_it(setup) -> None:
    api, _ = setup
    headers = await api.user()
    for expected in (1, 2, 3):
        response = await api.client.post("/api/v1/tiered/chat", headers=headers)
        assert (await response.get_json())["used"] == expected
    refused = await api.client.post("/api/v1/tiered/chat", headers=headers)
    body = await assert_error(refused, 403, "SUBSCRIPTION_LIMIT_EXCEEDED")
    assert "AI chat messages" in body["message"]
    assert body["detail"]["limit"] == "chat_messages"
    assert body["detail"]["allowed"] == 3 and body["detail"]["used"] == 3
    assert body["detail"]["period"] == "month" and body["detail"]["resets_at"].endswith("Z")


async def test_usage_is_per_user(setup) -> None:
    api, _ = setup
    ada = await api.user("ada@example.com")
    bob = await api.user("bob@example.com")
    for _ in range(3):
        await api.client.post("/api/v1/tiered/chat", headers=ada)
    assert (await api.client.post("/api/v1/tiered/chat", headers=bob)).status_code == 200


async def test_premium_is_unlimited_where_declared(setup) -> None:
    api, _ = setup
    headers = await api.user()
    await _set_tier(api, headers, "premium_monthly")
    for _ in range(6):
        assert (await api.client.post("/api/v1/tiered/chat", headers=headers)).status_code == 200
    for _ in range(10):
        await api.client.post("/api/v1/tiered/recommend", headers=headers)
    refused = await api.client.post("/api/v1/tiered/recommend", headers=headers)
    body = await assert_error(refused, 403, "SUBSCRIPTION_LIMIT_EXCEEDED")
    assert body["detail"]["limit"] == "recommendations" and body["detail"]["allowed"] == 10


async def test_premium_only_feature_refuses_free_users(setup) -> None:
    api, _ = setup
    headers = await api.user()
    refused = await api.client.post("/api/v1/tiered/voice", headers=headers)
    body = await assert_error(refused, 403, "SUBSCRIPTION_LIMIT_EXCEEDED")
    assert "Premium" in body["message"] and body["detail"]["limit"] == "voice_sessions"
    await _set_tier(api, headers, "premium_yearly")
    assert (await api.client.post("/api/v1/tiered/voice", headers=headers)).status_code == 200


async def test_held_objects_limit_uses_the_plugins_count(setup) -> None:
    api, _ = setup
    headers = await api.user()
    for _ in range(2):
        assert (await api.client.post("/api/v1/tiered/notes", headers=headers)).status_code == 201
    refused = await api.client.post("/api/v1/tiered/notes", headers=headers)
    body = await assert_error(refused, 403, "SUBSCRIPTION_LIMIT_EXCEEDED")
    assert body["detail"]["limit"] == "notes" and body["detail"]["used"] == 2


async def test_subscription_shows_tier_every_limit_and_usage(setup) -> None:
    api, _ = setup
    headers = await api.user()
    await api.client.post("/api/v1/tiered/chat", headers=headers)
    await api.client.post("/api/v1/tiered/notes", headers=headers)
    response = await api.client.get("/api/v1/subscription", headers=headers)
    assert response.status_code == 200
    body = await response.get_json()
    assert body["tier"] == "free" and body["is_premium"] is False
    limits = {item["name"]: item for item in body["limits"]}
    assert set(limits) == {"chat_messages", "recommendations", "voice_sessions", "notes"}
    chat = limits["chat_messages"]
    assert (chat["limit"], chat["used"], chat["remaining"], chat["period"]) == (3, 1, 2, "month")
    assert chat["tiers"] == {"free": 3, "premium_monthly": None, "premium_yearly": None}
    assert limits["notes"]["used"] == 1 and limits["notes"]["resets_at"] is None
    assert limits["voice_sessions"]["limit"] == 0
    assert limits["recommendations"]["tiers"]["premium_yearly"] is None


async def test_subscription_requires_authentication(setup) -> None:
    api, _ = setup
    await assert_error(await api.client.get("/api/v1/subscription"), 401, "UNAUTHORIZED")


async def test_release_gives_uses_back(setup) -> None:
    api, _ = setup
    headers = await api.user()
    user_id = (await api.me(headers))["id"]
    user = Principal(id=user_id, email="ada@example.com")
    async with api.app.app_context():
        for _ in range(3):
            await check_limit(user, "chat_messages")
        await release_limit(user, "chat_messages")
        assert (await check_limit(user, "chat_messages")).used == 3


async def test_unknown_limit_is_a_programming_error(setup) -> None:
    api, _ = setup
    async with api.app.app_context():
        with pytest.raises(LookupError, match="no_such_limit"):
            await check_limit(
                Principal(id="00000000-0000-0000-0000-000000000001", email="x@example.com"),
                "no_such_limit",
            )


def test_periods_are_utc_calendar_days_and_months() -> None:
    moment = datetime(2026, 12, 31, 23, 59, tzinfo=UTC)
    assert current_period("day", moment) == ("2026-12-31", datetime(2027, 1, 1, tzinfo=UTC))
    assert current_period("month", moment) == ("2026-12", datetime(2027, 1, 1, tzinfo=UTC))
    feb = datetime(2028, 2, 29, 12, tzinfo=UTC)
    assert current_period("month", feb) == ("2028-02", datetime(2028, 3, 1, tzinfo=UTC))
