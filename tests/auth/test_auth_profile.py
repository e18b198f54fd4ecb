"""GET/PATCH /me: name, IANA time zone, preferences; PATCH merges."""

from __future__ import annotations

from auth_support import Api, assert_error


async def test_patch_me_changes_name_timezone_and_preferences(api: Api) -> None:
    headers = await api.user()
    response = await api.client.patch(
        "/api/v1/auth/me",
        headers=headers,
        json={
            "name": "Ada Lovelace",
            "timezone": "Europe/London",
            "preferences": {
                "interests": ["maths", "engines"],
                "academic_level": "postgraduate",
                "availability": [{"day": "monday", "start": "09:00", "end": "11:30"}],
            },
        },
    )
    assert response.status_code == 200
    body = await response.get_json()
    assert body["name"] == "Ada Lovelace" and body["timezone"] == "Europe/London"
    assert body["preferences"]["interests"] == ["maths", "engines"]
    assert await api.me(headers) == body


async def test_patch_me_merges_preferences(api: Api) -> None:
    headers = await api.user()
    await api.client.patch(
        "/api/v1/auth/me",
        headers=headers,
        json={"preferences": {"interests": ["maths"], "academic_level": "undergraduate"}},
    )
    await api.client.patch(
        "/api/v1/auth/me",
        headers=headers,
        json={
            "preferences": {"availability": [{"day": "friday", "start": "18:00", "end": "20:00"}]}
        },
    )
    prefs = (await api.me(headers))["preferences"]
    assert prefs["interests"] == ["maths"]
    assert prefs["academic_level"] == "undergraduate"
    assert prefs["availability"] == [{"day": "friday", "start": "18:00", "end": "20:00"}]


async def test_patch_me_refuses_a_timezone_that_is_not_iana(api: Api) -> None:
    headers = await api.user()
    for zone in ("Mars/Olympus", "../../etc/passwd", "", "utc+2"):
        response = await api.client.patch(
            "/api/v1/auth/me", headers=headers, json={"timezone": zone}
        )
        await assert_error(response, 422, "VALIDATION_ERROR")
    assert (await api.me(headers))["timezone"] == "UTC"


async def test_patch_me_refuses_bad_preferences_and_unknown_fields(api: Api) -> None:
    headers = await api.user()
    bad = [
        {"preferences": {"academic_level": "wizard"}},
        {"preferences": {"availability": [{"day": "funday", "start": "09:00", "end": "10:00"}]}},
        {"preferences": {"availability": [{"day": "monday", "start": "11:00", "end": "10:00"}]}},
        {"preferences": {"interests": [""]}},
        {"role": "admin"},
        {"tier": "premium_yearly"},
        {"email": "other@example.com"},
    ]
    for body in bad:
        response = await api.client.patch("/api/v1/auth/me", headers=headers, json=body)
        await assert_error(response, 422, "VALIDATION_ERROR")
    me = await api.me(headers)
    assert me["role"] == "user" and me["tier"] == "free" and me["email"] == "ada@example.com"


async def test_timezone_change_is_visible_in_the_principal_at_once(api: Api) -> None:
    from maigie_core.auth.guards import authenticate_token

    tokens = await api.register()
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    await api.client.patch("/api/v1/auth/me", headers=headers, json={"timezone": "Asia/Tokyo"})
    async with api.app.app_context():
        record, _ = await authenticate_token(tokens["access_token"])
    assert record.principal.timezone == "Asia/Tokyo"
