"""Authentication cost: one SQL statement, none from the cache; changes reach every process."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from auth_support import PASSWORD, Api, assert_error, bearer, make_admin
from quart import Quart
from wait_support import eventually

from maigie_core.auth.state import auth_state
from maigie_core.runtime import runtime


class StatementCounter:
    def __init__(self, app: Quart) -> None:
        self.db = runtime(app).db
        self.count = 0
        self._original = self.db.aio_execute_sql

    async def _counting(self, *args: Any, **kwargs: Any) -> Any:
        self.count += 1
        return await self._original(*args, **kwargs)

    def __enter__(self) -> StatementCounter:
        self.db.aio_execute_sql = self._counting
        return self

    def __exit__(self, *exc: object) -> None:
        del self.db.aio_execute_sql


#: Seconds a change made elsewhere may take to reach the cache: far below
#: AUTH_CACHE_SECONDS (30), so a pass is the invalidation, not the entry expiring.
INVALIDATED_WITHIN = 5


async def _wait_live(app: Quart) -> None:
    cache = auth_state(app).cache
    await eventually(lambda: cache.live, what="the invalidation listener subscribing")


async def test_me_costs_one_statement_without_redis(api: Api) -> None:
    headers = await api.user()
    with StatementCounter(api.app) as counter:
        for _ in range(3):
            await api.me(headers)
    assert counter.count == 3


@pytest.fixture
def redis_app(make_app, redis_settings: dict[str, str]) -> Callable[..., Quart]:
    def build(**overrides: Any) -> Quart:
        return make_app(**redis_settings, **overrides)

    return build


async def test_me_costs_no_statement_from_the_cache(redis_app) -> None:
    app = redis_app()
    async with app.test_app():
        await _wait_live(app)
        api = Api(app)
        headers = await api.user()
        await api.me(headers)
        with StatementCounter(app) as counter:
            for _ in range(5):
                await api.me(headers)
        assert counter.count == 0


async def test_cache_is_bypassed_while_the_invalidation_channel_is_down(redis_app) -> None:
    app = redis_app()
    async with app.test_app():
        await _wait_live(app)
        api = Api(app)
        headers = await api.user()
        await api.me(headers)
        auth_state(app).cache.set_live(False)
        with StatementCounter(app) as counter:
            await api.me(headers)
            await api.me(headers)
        assert counter.count == 2


async def test_a_change_in_one_process_reaches_the_cache_of_another(redis_app) -> None:
    serving, admin_side = redis_app(), redis_app()
    async with serving.test_app(), admin_side.test_app():
        await _wait_live(serving)
        await _wait_live(admin_side)
        api, other = Api(serving), Api(admin_side)
        tokens = await api.register("ada@example.com")
        headers = bearer(tokens["access_token"])
        assert (await api.me(headers))["tier"] == "free"  # now cached in `serving`
        admin = await other.admin("root@example.com")
        user_id = (await api.me(headers))["id"]
        response = await other.client.patch(
            f"/api/v1/admin/users/{user_id}", headers=admin, json={"tier": "premium_yearly"}
        )
        assert response.status_code == 200

        async def upgraded() -> bool:
            return (await api.me(headers))["tier"] == "premium_yearly"

        await eventually(upgraded, INVALIDATED_WITHIN, "the new tier")
        # a password change elsewhere kills the token everywhere
        await other.client.post(
            "/api/v1/auth/password/change",
            headers=headers,
            json={"current_password": PASSWORD, "new_password": "another fine passphrase"},
        )

        async def refused() -> bool:
            me = await api.client.get("/api/v1/auth/me", headers=headers)
            return me.status_code == 401

        await eventually(refused, INVALIDATED_WITHIN, "the old token refused")


async def test_without_redis_a_change_elsewhere_applies_on_the_next_request(make_app) -> None:
    serving, cli_side = make_app(), make_app()
    async with serving.test_app(), cli_side.test_app():
        api = Api(serving)
        headers = await api.user("ada@example.com")
        assert (await api.me(headers))["role"] == "user"
        await make_admin(cli_side, "ada@example.com")
        assert (await api.me(headers))["role"] == "admin"


async def test_deactivation_elsewhere_locks_the_cached_user_out(redis_app) -> None:
    serving, admin_side = redis_app(), redis_app()
    async with serving.test_app(), admin_side.test_app():
        await _wait_live(serving)
        api, other = Api(serving), Api(admin_side)
        headers = await api.user("ada@example.com")
        user_id = (await api.me(headers))["id"]
        admin = await other.admin("root@example.com")
        await other.client.patch(
            f"/api/v1/admin/users/{user_id}", headers=admin, json={"is_active": False}
        )

        async def locked_out() -> bool:
            response = await api.client.get("/api/v1/auth/me", headers=headers)
            if response.status_code == 401:
                await assert_error(response, 401, "UNAUTHORIZED")
                return True
            return False

        await eventually(locked_out, INVALIDATED_WITHIN, "the deactivated user locked out")
