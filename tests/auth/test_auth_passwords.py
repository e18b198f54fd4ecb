"""Password change, forgot/reset with single-use mailed tokens, hash upgrades, verification."""

from __future__ import annotations

from auth_support import PASSWORD, Api, assert_error, bearer, last_mail

from maigie_core.auth.models import User

NEW = "a brand new passphrase"


async def test_change_password_needs_the_current_one(api: Api) -> None:
    headers = await api.user()
    response = await api.client.post(
        "/api/v1/auth/password/change",
        json={"current_password": "wrong password", "new_password": NEW},
        headers=headers,
    )
    await assert_error(response, 403, "FORBIDDEN")


async def test_change_password_revokes_every_session_and_token(api: Api) -> None:
    first = await api.register()
    other = await api.login("ada@example.com")
    response = await api.client.post(
        "/api/v1/auth/password/change",
        json={"current_password": PASSWORD, "new_password": NEW},
        headers=bearer(first["access_token"]),
    )
    assert response.status_code == 200
    fresh = await response.get_json()
    for old in (first, other):
        refresh = await api.client.post(
            "/api/v1/auth/refresh", json={"refresh_token": old["refresh_token"]}
        )
        await assert_error(refresh, 401, "UNAUTHORIZED")
        me = await api.client.get("/api/v1/auth/me", headers=bearer(old["access_token"]))
        await assert_error(me, 401, "UNAUTHORIZED")
    assert (await api.me(bearer(fresh["access_token"])))["email"] == "ada@example.com"
    await api.login("ada@example.com", NEW)
    old_login = await api.client.post(
        "/api/v1/auth/login", json={"email": "ada@example.com", "password": PASSWORD}
    )
    await assert_error(old_login, 401, "UNAUTHORIZED")


async def test_forgot_answers_the_same_for_unknown_addresses(api: Api) -> None:
    await api.register()
    known = await api.client.post("/api/v1/auth/password/forgot", json={"email": "ada@example.com"})
    unknown = await api.client.post(
        "/api/v1/auth/password/forgot", json={"email": "nobody@example.com"}
    )
    assert known.status_code == unknown.status_code == 202
    assert await known.get_json() == await unknown.get_json()


async def test_reset_with_the_mailed_token_sets_the_password(api: Api) -> None:
    old = await api.register()
    await api.client.post("/api/v1/auth/password/forgot", json={"email": "ada@example.com"})
    token = await last_mail(api.app, "ada@example.com", "password_reset")
    response = await api.client.post(
        "/api/v1/auth/password/reset", json={"token": token, "new_password": NEW}
    )
    assert response.status_code == 204
    await api.login("ada@example.com", NEW)
    refresh = await api.client.post(
        "/api/v1/auth/refresh", json={"refresh_token": old["refresh_token"]}
    )
    await assert_error(refresh, 401, "UNAUTHORIZED")


async def test_reset_token_works_once(api: Api) -> None:
    await api.register()
    await api.client.post("/api/v1/auth/password/forgot", json={"email": "ada@example.com"})
    token = await last_mail(api.app, "ada@example.com", "password_reset")
    first = await api.client.post(
        "/api/v1/auth/password/reset", json={"token": token, "new_password": NEW}
    )
    assert first.status_code == 204
    again = await api.client.post(
        "/api/v1/auth/password/reset", json={"token": token, "new_password": "yet another one"}
    )
    await assert_error(again, 400, "INVALID_TOKEN")
    await api.login("ada@example.com", NEW)


async def test_tampered_reset_token_is_refused(api: Api) -> None:
    await api.register()
    await api.client.post("/api/v1/auth/password/forgot", json={"email": "ada@example.com"})
    token = await last_mail(api.app, "ada@example.com", "password_reset")
    # a character inside the token (the last base64 one carries padding bits)
    tampered = token[:10] + ("A" if token[10] != "A" else "B") + token[11:]
    for bad in (tampered, "garbage", token + "x"):
        response = await api.client.post(
            "/api/v1/auth/password/reset", json={"token": bad, "new_password": NEW}
        )
        await assert_error(response, 400, "INVALID_TOKEN")


async def test_expired_reset_token_is_refused(make_app) -> None:
    from itsdangerous import TimestampSigner, URLSafeTimedSerializer

    app = make_app()
    async with app.test_app():
        api = Api(app)
        await api.register()
        await api.client.post("/api/v1/auth/password/forgot", json={"email": "ada@example.com"})
        token = await last_mail(app, "ada@example.com", "password_reset")
        payload = URLSafeTimedSerializer("change-me", salt="maigie.password_reset").loads(token)

        class ThreeHoursAgo(TimestampSigner):
            def get_timestamp(self) -> int:
                return super().get_timestamp() - 3 * 3600

        old = URLSafeTimedSerializer(
            "change-me", salt="maigie.password_reset", signer=ThreeHoursAgo
        ).dumps(payload)
        response = await api.client.post(
            "/api/v1/auth/password/reset", json={"token": old, "new_password": NEW}
        )
        await assert_error(response, 400, "INVALID_TOKEN")


async def test_a_verify_token_is_not_a_reset_token(api: Api) -> None:
    await api.register()
    token = await last_mail(api.app, "ada@example.com", "verify_email")
    response = await api.client.post(
        "/api/v1/auth/password/reset", json={"token": token, "new_password": NEW}
    )
    await assert_error(response, 400, "INVALID_TOKEN")


async def test_verify_email_with_the_mailed_token_once(api: Api) -> None:
    headers = await api.user()
    token = await last_mail(api.app, "ada@example.com", "verify_email")
    response = await api.client.post("/api/v1/auth/verify-email", json={"token": token})
    assert response.status_code == 200
    assert (await api.me(headers))["email_verified"] is True
    again = await api.client.post("/api/v1/auth/verify-email", json={"token": token})
    await assert_error(again, 400, "INVALID_TOKEN")


async def test_tampered_verify_token_is_refused(api: Api) -> None:
    headers = await api.user()
    token = await last_mail(api.app, "ada@example.com", "verify_email")
    response = await api.client.post("/api/v1/auth/verify-email", json={"token": token[:-3]})
    await assert_error(response, 400, "INVALID_TOKEN")
    assert (await api.me(headers))["email_verified"] is False


async def test_resend_verification_mails_a_new_token(api: Api) -> None:
    headers = await api.user()
    first = await last_mail(api.app, "ada@example.com", "verify_email")
    response = await api.client.post("/api/v1/auth/verify-email/send", headers=headers)
    assert response.status_code == 202
    assert await last_mail(api.app, "ada@example.com", "verify_email") != first


async def test_hash_is_upgraded_on_login_when_the_cost_changes(make_app) -> None:
    cheap = make_app()
    async with cheap.test_app():
        await Api(cheap).register()
        async with cheap.app_context():
            before = (await User.aio_get(User.email == "ada@example.com")).password_hash
    stronger = make_app(PASSWORD_HASH_TIME_COST=2)
    async with stronger.test_app():
        await Api(stronger).login("ada@example.com")
        async with stronger.app_context():
            after = (await User.aio_get(User.email == "ada@example.com")).password_hash
    assert "t=1" in before and "t=2" in after
