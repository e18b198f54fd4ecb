"""Login throttling per account and per client address: 429 RATE_LIMITED + Retry-After."""

from __future__ import annotations

import pytest
from auth_support import PASSWORD, Api, assert_error
from quart import Quart


async def _fail(api: Api, email: str, headers: dict[str, str] | None = None):
    return await api.client.post(
        "/api/v1/auth/login",
        headers=headers or {},
        json={"email": email, "password": "wrong password!"},
        scope_base={"client": ("127.0.0.1", 40000)},
    )


async def _check_account_throttle(app: Quart) -> None:
    api = Api(app)
    await api.register("ada@example.com")
    for _ in range(3):
        await assert_error(await _fail(api, "ada@example.com"), 401, "UNAUTHORIZED")
    blocked = await api.client.post(
        "/api/v1/auth/login", json={"email": "ada@example.com", "password": PASSWORD}
    )
    await assert_error(blocked, 429, "RATE_LIMITED")
    assert 1 <= int(blocked.headers["Retry-After"]) <= 60


@pytest.fixture
def throttled(make_app):
    def build(**overrides):
        return make_app(LOGIN_RATE_PER_MINUTE=3, **overrides)

    return build


async def test_failed_logins_throttle_the_account_even_with_the_right_password(throttled) -> None:
    app = throttled()
    async with app.test_app():
        await _check_account_throttle(app)


async def test_unknown_emails_are_throttled_the_same_way(throttled) -> None:
    app = throttled()
    async with app.test_app():
        api = Api(app)
        for _ in range(3):
            await assert_error(await _fail(api, "ghost@example.com"), 401, "UNAUTHORIZED")
        await assert_error(await _fail(api, "ghost@example.com"), 429, "RATE_LIMITED")


async def test_one_address_trying_many_accounts_is_throttled(throttled) -> None:
    app = throttled()
    async with app.test_app():
        api = Api(app)
        for i in range(3):
            await _fail(api, f"user{i}@example.com")
        await assert_error(await _fail(api, "another@example.com"), 429, "RATE_LIMITED")


async def test_successful_logins_do_not_count(throttled) -> None:
    app = throttled()
    async with app.test_app():
        api = Api(app)
        await api.register("ada@example.com")
        for _ in range(6):
            await api.login("ada@example.com")


async def test_forwarded_for_is_believed_only_from_trusted_proxies(throttled) -> None:
    app = throttled(TRUSTED_PROXIES=["127.0.0.1/32", "::1"])
    async with app.test_app():
        api = Api(app)
        for i in range(6):  # six different clients behind the proxy, one failure each
            response = await _fail(
                api, f"user{i}@example.com", {"X-Forwarded-For": f"203.0.113.{i}"}
            )
            await assert_error(response, 401, "UNAUTHORIZED")
    untrusted = throttled()
    async with untrusted.test_app():
        api = Api(untrusted)
        for i in range(3):  # spoofed header from an untrusted peer: one address
            await _fail(api, f"user{i}@example.com", {"X-Forwarded-For": f"203.0.113.{i}"})
        response = await _fail(api, "x@example.com", {"X-Forwarded-For": "198.51.100.7"})
        await assert_error(response, 429, "RATE_LIMITED")


async def test_throttling_is_shared_through_redis(
    throttled, redis_settings: dict[str, str]
) -> None:
    first = throttled(**redis_settings)
    second = throttled(**redis_settings)
    async with first.test_app(), second.test_app():
        api_one, api_two = Api(first), Api(second)
        await api_one.register("ada@example.com")
        for _ in range(2):
            await _fail(api_one, "ada@example.com")
        await _fail(api_two, "ada@example.com")
        blocked = await api_two.client.post(
            "/api/v1/auth/login", json={"email": "ada@example.com", "password": PASSWORD}
        )
        await assert_error(blocked, 429, "RATE_LIMITED")
        assert int(blocked.headers["Retry-After"]) >= 1
