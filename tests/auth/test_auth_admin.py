"""Admin API: only admins, paginated user list, tier/role changes applied and audited."""

from __future__ import annotations

import uuid

from auth_support import Api, assert_error


async def test_admin_routes_refuse_regular_users_with_403(api: Api) -> None:
    victim = await api.user("victim@example.com")
    victim_id = (await api.me(victim))["id"]
    attacker = await api.user("mallory@example.com")
    calls = [
        ("GET", "/api/v1/admin/users", None),
        ("GET", f"/api/v1/admin/users/{victim_id}", None),
        ("GET", f"/api/v1/admin/users/{victim_id}/audit", None),
        ("PATCH", f"/api/v1/admin/users/{victim_id}", {"tier": "premium_yearly"}),
        ("PATCH", f"/api/v1/admin/users/{(await api.me(attacker))['id']}", {"role": "admin"}),
    ]
    for method, path, body in calls:
        response = await api.client.open(path, method=method, headers=attacker, json=body)
        body_json = await assert_error(response, 403, "FORBIDDEN")
        assert "victim@example.com" not in str(body_json)
    assert (await api.me(victim))["tier"] == "free"
    assert (await api.me(attacker))["role"] == "user"


async def test_admin_routes_refuse_anonymous_callers_with_401(api: Api) -> None:
    response = await api.client.get("/api/v1/admin/users")
    await assert_error(response, 401, "UNAUTHORIZED")


async def test_list_users_is_paginated_with_a_cursor(api: Api) -> None:
    admin = await api.admin()
    for i in range(5):
        await api.register(f"user{i}@example.com")
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        url = "/api/v1/admin/users?limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = await (await api.client.get(url, headers=admin)).get_json()
        pages += 1
        assert len(page["items"]) <= 2
        seen += [item["email"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == 3
    assert sorted(seen) == sorted([f"user{i}@example.com" for i in range(5)] + ["root@example.com"])


async def test_list_users_validates_limit_and_cursor(api: Api) -> None:
    admin = await api.admin()
    for query in ("limit=0", "limit=101", "limit=abc", "cursor=%%%", "cursor=bm90LWEtY3Vyc29y"):
        response = await api.client.get(f"/api/v1/admin/users?{query}", headers=admin)
        await assert_error(response, 422, "VALIDATION_ERROR")


async def test_list_users_filters_by_email(api: Api) -> None:
    admin = await api.admin()
    await api.register("ada@example.com")
    await api.register("grace@example.com")
    page = await (await api.client.get("/api/v1/admin/users?q=GRACE", headers=admin)).get_json()
    assert [u["email"] for u in page["items"]] == ["grace@example.com"]


async def test_tier_change_applies_to_existing_tokens_and_is_audited(api: Api) -> None:
    admin = await api.admin()
    user = await api.user("ada@example.com")
    user_id = (await api.me(user))["id"]
    response = await api.client.patch(
        f"/api/v1/admin/users/{user_id}", headers=admin, json={"tier": "premium_monthly"}
    )
    assert response.status_code == 200
    body = await response.get_json()
    assert body["tier"] == "premium_monthly" and body["tier_period_end"]
    me = await api.me(user)  # the same token, the new tier
    assert me["tier"] == "premium_monthly"
    subscription = await (await api.client.get("/api/v1/subscription", headers=user)).get_json()
    assert subscription["tier"] == "premium_monthly" and subscription["is_premium"]
    audit = await (
        await api.client.get(f"/api/v1/admin/users/{user_id}/audit", headers=admin)
    ).get_json()
    entry = audit["items"][-1]
    assert (entry["action"], entry["old_value"], entry["new_value"], entry["source"]) == (
        "tier.changed",
        "free",
        "premium_monthly",
        "admin",
    )
    assert entry["actor_id"] == (await api.me(admin))["id"]


async def test_role_change_applies_from_the_next_request(api: Api) -> None:
    admin = await api.admin()
    user = await api.user("ada@example.com")
    user_id = (await api.me(user))["id"]
    await assert_error(await api.client.get("/api/v1/admin/users", headers=user), 403, "FORBIDDEN")
    await api.client.patch(f"/api/v1/admin/users/{user_id}", headers=admin, json={"role": "admin"})
    assert (await api.client.get("/api/v1/admin/users", headers=user)).status_code == 200


async def test_deactivated_user_is_locked_out(api: Api) -> None:
    admin = await api.admin()
    user = await api.user("ada@example.com")
    user_id = (await api.me(user))["id"]
    await api.client.patch(
        f"/api/v1/admin/users/{user_id}", headers=admin, json={"is_active": False}
    )
    await assert_error(await api.client.get("/api/v1/auth/me", headers=user), 401, "UNAUTHORIZED")


async def test_admin_cannot_demote_themselves(api: Api) -> None:
    admin = await api.admin()
    admin_id = (await api.me(admin))["id"]
    response = await api.client.patch(
        f"/api/v1/admin/users/{admin_id}", headers=admin, json={"role": "user"}
    )
    await assert_error(response, 409, "CONFLICT")


async def test_unknown_or_malformed_user_ids_are_404(api: Api) -> None:
    admin = await api.admin()
    for user_id in (str(uuid.uuid4()), "not-a-uuid", "1"):
        response = await api.client.get(f"/api/v1/admin/users/{user_id}", headers=admin)
        await assert_error(response, 404, "RESOURCE_NOT_FOUND")
        response = await api.client.patch(
            f"/api/v1/admin/users/{user_id}", headers=admin, json={"tier": "premium_yearly"}
        )
        await assert_error(response, 404, "RESOURCE_NOT_FOUND")


async def test_admin_patch_validates_its_body(api: Api) -> None:
    admin = await api.admin()
    user_id = (await api.me(await api.user()))["id"]
    for body in (
        {"tier": "gold"},
        {"role": "root"},
        {"tier_period_end": "tomorrow"},
        {"is_active": "maybe"},
    ):
        response = await api.client.patch(
            f"/api/v1/admin/users/{user_id}", headers=admin, json=body
        )
        await assert_error(response, 422, "VALIDATION_ERROR")
