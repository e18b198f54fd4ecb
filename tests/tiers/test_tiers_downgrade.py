"""Tier changes: audited, the apply_tier_limits hook freezes (never deletes), periods end."""

from __future__ import annotations

from datetime import timedelta

from auth_support import Api, assert_error

from maigie_core.auth.state import auth_state
from maigie_core.db import utcnow
from maigie_core.tiers.subscriptions import change_tier, expire_tiers


async def _premium_with_four_notes(api: Api) -> tuple[dict[str, str], dict[str, str], str]:
    admin = await api.admin("root@example.com")
    headers = await api.user()
    user_id = (await api.me(headers))["id"]
    await api.client.patch(
        f"/api/v1/admin/users/{user_id}", headers=admin, json={"tier": "premium_monthly"}
    )
    for _ in range(4):
        assert (await api.client.post("/api/v1/tiered/notes", headers=headers)).status_code == 201
    return admin, headers, user_id


async def test_downgrade_freezes_what_exceeds_the_limit_without_deleting(setup) -> None:
    api, plugin = setup
    admin, headers, user_id = await _premium_with_four_notes(api)
    await api.client.patch(f"/api/v1/admin/users/{user_id}", headers=admin, json={"tier": "free"})
    assert plugin.tier_changes[-1] == (user_id, "free", "premium_monthly")
    assert [n["frozen"] for n in plugin.notes[user_id]] == [False, False, True, True]
    assert (await api.client.patch("/api/v1/tiered/notes/0", headers=headers)).status_code == 200
    frozen = await api.client.patch("/api/v1/tiered/notes/3", headers=headers)
    body = await assert_error(frozen, 403, "SUBSCRIPTION_LIMIT_EXCEEDED")
    assert body["detail"] == {"limit": "notes", "frozen": True}
    refused = await api.client.post("/api/v1/tiered/notes", headers=headers)
    await assert_error(refused, 403, "SUBSCRIPTION_LIMIT_EXCEEDED")


async def test_upgrade_unfreezes(setup) -> None:
    api, plugin = setup
    admin, _headers, user_id = await _premium_with_four_notes(api)
    for tier in ("free", "premium_yearly"):
        await api.client.patch(f"/api/v1/admin/users/{user_id}", headers=admin, json={"tier": tier})
    assert not any(n["frozen"] for n in plugin.notes[user_id])
    assert plugin.tier_changes[-1] == (user_id, "premium_yearly", "free")


async def test_hook_is_not_called_when_the_tier_does_not_change(setup) -> None:
    api, plugin = setup
    admin = await api.admin("root@example.com")
    user_id = (await api.me(await api.user()))["id"]
    await api.client.patch(f"/api/v1/admin/users/{user_id}", headers=admin, json={"tier": "free"})
    assert plugin.tier_changes == []


async def test_paid_period_end_drops_to_free_with_the_freeze(setup) -> None:
    api, plugin = setup
    _admin, headers, user_id = await _premium_with_four_notes(api)
    async with api.app.app_context():
        state = auth_state()
        await change_tier(
            state,
            user_id,
            "premium_monthly",
            actor_id=None,
            source="cli",
            period_end=utcnow() - timedelta(minutes=1),
        )
        assert await expire_tiers(state) == [user_id]
        assert await expire_tiers(state) == []
    me = await api.me(headers)
    assert me["tier"] == "free" and me["tier_period_end"] is None
    assert [n["frozen"] for n in plugin.notes[user_id]] == [False, False, True, True]
    admin = await api.admin("boss@example.com")
    audit = await (
        await api.client.get(f"/api/v1/admin/users/{user_id}/audit", headers=admin)
    ).get_json()
    assert audit["items"][-1]["source"] == "expiry"
    assert audit["items"][-1]["new_value"] == "free"


async def test_current_period_is_not_expired(setup) -> None:
    api, _ = setup
    _admin, headers, _user_id = await _premium_with_four_notes(api)
    async with api.app.app_context():
        assert await expire_tiers(auth_state()) == []
    assert (await api.me(headers))["tier"] == "premium_monthly"
