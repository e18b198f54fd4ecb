"""N parallel consumers never exceed a limit: on the database and on Redis."""

from __future__ import annotations

import asyncio

from auth_support import Api
from tier_plugin import NotesPlugin

from maigie_core import Principal
from maigie_core.errors import SubscriptionLimitExceeded
from maigie_core.tiers import check_limit

PARALLEL = 40
ALLOWED = 3  # chat_messages on the free tier


async def _race(app, user: Principal) -> tuple[int, int]:
    async def one() -> bool:
        async with app.app_context():
            try:
                await check_limit(user, "chat_messages")
                return True
            except SubscriptionLimitExceeded:
                return False

    results = await asyncio.gather(*(one() for _ in range(PARALLEL)))
    return results.count(True), results.count(False)


async def _check(app) -> None:
    api = Api(app)
    headers = await api.user()
    user = Principal(id=(await api.me(headers))["id"], email="ada@example.com")
    assert await _race(app, user) == (ALLOWED, PARALLEL - ALLOWED)
    # and through HTTP, for a second user
    other = await api.user("bob@example.com")
    responses = await asyncio.gather(
        *(api.client.post("/api/v1/tiered/chat", headers=other) for _ in range(PARALLEL))
    )
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] * ALLOWED + [403] * (PARALLEL - ALLOWED)
    used = sorted([(await r.get_json())["used"] for r in responses if r.status_code == 200])
    assert used == list(range(1, ALLOWED + 1))


async def test_parallel_consumers_never_exceed_the_limit_on_the_database(make_app) -> None:
    app = make_app(plugins={"tiered": NotesPlugin()})
    async with app.test_app():
        await _check(app)


async def test_parallel_consumers_never_exceed_the_limit_on_redis(make_app, redis_settings) -> None:
    app = make_app(plugins={"tiered": NotesPlugin()}, **redis_settings)
    async with app.test_app():
        await _check(app)


async def test_two_processes_share_one_counter(make_app, redis_or_not) -> None:
    first = make_app(plugins={"tiered": NotesPlugin()}, **redis_or_not)
    second = make_app(plugins={"tiered": NotesPlugin()}, **redis_or_not)
    async with first.test_app(), second.test_app():
        headers = await Api(first).user()
        calls = [
            Api(app).client.post("/api/v1/tiered/chat", headers=headers)
            for app in (first, second) * 10
        ]
        statuses = [r.status_code for r in await asyncio.gather(*calls)]
        assert statuses.count(200) == ALLOWED
