"""The account contract end to end: register → login → me → refresh → reuse → logout."""

from __future__ import annotations

from auth_support import PASSWORD, Api, assert_error, bearer


async def test_register_returns_201_with_a_bearer_token_pair(api: Api) -> None:
    tokens = await api.register("ada@example.com", name="Ada")
    assert set(tokens) == {"access_token", "refresh_token", "token_type", "expires_in"}
    assert tokens["token_type"] == "bearer"
    assert tokens["expires_in"] == 30 * 60


async def test_me_shows_the_new_account_with_defaults(api: Api) -> None:
    headers = bearer((await api.register("Ada@Example.COM ", name="Ada"))["access_token"])
    me = await api.me(headers)
    assert me["email"] == "ada@example.com"
    assert me["name"] == "Ada"
    assert me["role"] == "user" and me["tier"] == "free" and me["timezone"] == "UTC"
    assert me["email_verified"] is False
    assert me["preferences"] == {"interests": [], "academic_level": None, "availability": []}
    assert me["created_at"].endswith("Z") and me["updated_at"].endswith("Z")


async def test_duplicate_email_is_409_whatever_its_case(api: Api) -> None:
    await api.register("ada@example.com")
    response = await api.client.post(
        "/api/v1/auth/register", json={"email": "ADA@example.com", "password": PASSWORD}
    )
    await assert_error(response, 409, "CONFLICT")


async def test_login_with_any_case_of_the_email(api: Api) -> None:
    await api.register("ada@example.com")
    tokens = await api.login("ADA@EXAMPLE.com")
    assert (await api.me(bearer(tokens["access_token"])))["email"] == "ada@example.com"


async def test_wrong_password_and_unknown_email_get_the_same_401(api: Api) -> None:
    await api.register("ada@example.com")
    wrong = await api.client.post(
        "/api/v1/auth/login", json={"email": "ada@example.com", "password": "not it at all"}
    )
    unknown = await api.client.post(
        "/api/v1/auth/login", json={"email": "nobody@example.com", "password": PASSWORD}
    )
    a = await assert_error(wrong, 401, "UNAUTHORIZED")
    b = await assert_error(unknown, 401, "UNAUTHORIZED")
    assert {k: v for k, v in a.items() if k != "request_id"} == {
        k: v for k, v in b.items() if k != "request_id"
    }
    assert wrong.headers.get("WWW-Authenticate") == unknown.headers.get("WWW-Authenticate")


async def test_refresh_rotates_and_the_old_token_is_spent(api: Api) -> None:
    first = await api.register()
    response = await api.client.post(
        "/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]}
    )
    assert response.status_code == 200
    second = await response.get_json()
    assert second["refresh_token"] != first["refresh_token"]
    assert (await api.me(bearer(second["access_token"])))["email"] == "ada@example.com"


async def test_reusing_a_spent_refresh_token_revokes_the_whole_family(api: Api) -> None:
    first = await api.register()
    second = await (
        await api.client.post(
            "/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]}
        )
    ).get_json()
    replay = await api.client.post(
        "/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]}
    )
    await assert_error(replay, 401, "UNAUTHORIZED")
    # the legitimate holder's newer token died with the family
    after = await api.client.post(
        "/api/v1/auth/refresh", json={"refresh_token": second["refresh_token"]}
    )
    await assert_error(after, 401, "UNAUTHORIZED")


async def test_other_sessions_survive_a_reuse_in_one_family(api: Api) -> None:
    await api.register()
    phone = await api.login("ada@example.com")
    laptop = await api.login("ada@example.com")
    await api.client.post("/api/v1/auth/refresh", json={"refresh_token": phone["refresh_token"]})
    await api.client.post("/api/v1/auth/refresh", json={"refresh_token": phone["refresh_token"]})
    ok = await api.client.post(
        "/api/v1/auth/refresh", json={"refresh_token": laptop["refresh_token"]}
    )
    assert ok.status_code == 200


async def test_logout_spends_the_refresh_token_and_returns_204(api: Api) -> None:
    tokens = await api.register()
    response = await api.client.post(
        "/api/v1/auth/logout", json={"refresh_token": tokens["refresh_token"]}
    )
    assert response.status_code == 204
    again = await api.client.post(
        "/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
    )
    await assert_error(again, 401, "UNAUTHORIZED")


async def test_logout_kills_the_access_tokens_of_that_session_only(api: Api) -> None:
    phone = await api.register()
    laptop = await api.login("ada@example.com")
    response = await api.client.post(
        "/api/v1/auth/logout", json={"refresh_token": phone["refresh_token"]}
    )
    assert response.status_code == 204
    dead = await api.client.get("/api/v1/auth/me", headers=bearer(phone["access_token"]))
    await assert_error(dead, 401, "UNAUTHORIZED")
    assert (await api.me(bearer(laptop["access_token"])))["email"] == "ada@example.com"
    # a second logout elsewhere keeps the first one listed
    await api.client.post("/api/v1/auth/logout", json={"refresh_token": laptop["refresh_token"]})
    for tokens in (phone, laptop):
        again = await api.client.get("/api/v1/auth/me", headers=bearer(tokens["access_token"]))
        await assert_error(again, 401, "UNAUTHORIZED")
    fresh = await api.login("ada@example.com")
    assert (await api.me(bearer(fresh["access_token"])))["email"] == "ada@example.com"


async def test_a_replayed_refresh_token_kills_the_familys_access_token(api: Api) -> None:
    first = await api.register()
    second = await (
        await api.client.post(
            "/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]}
        )
    ).get_json()
    await api.client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    stolen = await api.client.get("/api/v1/auth/me", headers=bearer(second["access_token"]))
    await assert_error(stolen, 401, "UNAUTHORIZED")


async def test_revoked_sessions_are_forgotten_once_their_access_tokens_expired(
    api: Api,
) -> None:
    from maigie_core.auth.models import User

    tokens = await api.register()
    stale = f"{'0' * 32}@{1}"  # expired long ago
    async with api.app.app_context():
        await User.update(revoked_sessions=stale).aio_execute()
    await api.client.post("/api/v1/auth/logout", json={"refresh_token": tokens["refresh_token"]})
    async with api.app.app_context():
        stored = await User.select(User.revoked_sessions).aio_scalar()
    assert stale not in stored
    assert stored.count("@") == 1


async def test_me_without_a_token_is_the_401_envelope(api: Api) -> None:
    response = await api.client.get("/api/v1/auth/me")
    await assert_error(response, 401, "UNAUTHORIZED")
    assert response.headers["WWW-Authenticate"] == "Bearer"
    garbage = await api.client.get("/api/v1/auth/me", headers={"Authorization": "Basic abc"})
    await assert_error(garbage, 401, "UNAUTHORIZED")


async def test_validation_errors_are_the_422_envelope_without_echoing_input(api: Api) -> None:
    response = await api.client.post(
        "/api/v1/auth/register", json={"email": "not-an-email", "password": "x"}
    )
    body = await assert_error(response, 422, "VALIDATION_ERROR")
    assert "not-an-email" not in str(body)
    short = await api.client.post(
        "/api/v1/auth/register", json={"email": "ada@example.com", "password": "short"}
    )
    body = await assert_error(short, 422, "VALIDATION_ERROR")
    assert body["detail"][0]["loc"] == ["password"]
    assert "short" not in str(body)


async def test_malformed_or_missing_bodies_never_500(api: Api) -> None:
    for path in (
        "register",
        "login",
        "refresh",
        "logout",
        "password/forgot",
        "password/reset",
        "verify-email",
    ):
        for body in (None, b"{not json", b"[]", b'{"email": 5}'):
            response = await api.client.post(
                f"/api/v1/auth/{path}", data=body, headers={"Content-Type": "application/json"}
            )
            assert 400 <= response.status_code < 500, (path, body, response.status_code)
            assert (await response.get_json())["code"]


async def test_too_long_password_is_422(api: Api) -> None:
    response = await api.client.post(
        "/api/v1/auth/register", json={"email": "ada@example.com", "password": "x" * 129}
    )
    await assert_error(response, 422, "VALIDATION_ERROR")


async def test_auth_routes_are_documented_with_their_security(api: Api) -> None:
    spec = await (await api.client.get("/openapi.json")).get_json()
    paths = spec["paths"]
    assert paths["/api/v1/auth/login"]["post"]["security"] == []
    assert paths["/api/v1/auth/me"]["get"]["security"] == [{"bearerAuth": []}]
    assert paths["/api/v1/admin/users"]["get"]["security"] == [{"bearerAuth": []}]
    assert "/api/v1/subscription" in paths


async def test_unknown_email_costs_a_password_verification_too(api: Api, monkeypatch) -> None:
    from maigie_core.auth.state import auth_state

    await api.register("ada@example.com")
    hasher = auth_state(api.app).passwords
    calls: list[bool] = []
    original = hasher.context.verify

    def counting_verify(*args, **kwargs):
        calls.append(True)
        return original(*args, **kwargs)

    monkeypatch.setattr(hasher.context, "verify", counting_verify)
    await api.client.post(
        "/api/v1/auth/login", json={"email": "nobody@example.com", "password": PASSWORD}
    )
    assert calls, "an unknown email must be checked against a dummy hash (same cost)"
