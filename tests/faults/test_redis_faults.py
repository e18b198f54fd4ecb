"""Redis goes away under a served app and comes back: each user of Redis degrades as the
README says, nothing hangs, and everything is back once Redis is.

| what uses Redis             | while Redis is down                                    |
| --------------------------- | ------------------------------------------------------ |
| /health "cache" check       | down: /health 503; /ready stays 200 (database only)    |
| auth user cache             | bypassed: every request reads the user with SQL        |
| login throttling (limiter)  | counted in-process: still throttled, login still works |
| tier usage counters         | 503 envelope (no uncounted use is allowed)             |
| task queue (mail, …)        | enqueue is a 503; registration goes on without mail    |

The realtime backplane (outbox, replay after reconnect) is tested in tests/realtime.
"""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import urlsplit

import pytest
from fault_support import (
    TcpProxy,
    assert_unavailable,
    bearer,
    fails_fast,
    register,
    settles,
    via,
)
from quart import Blueprint
from wait_support import eventually

from maigie_core import TierLimit, check_limit, current_user, hookimpl, require_user
from maigie_core.auth.state import auth_state
from maigie_core.realtime import realtime_hub
from maigie_core.runtime import runtime

PASSWORD = "correct horse battery"
SILENCE_TIMEOUT = 1.5  # REDIS_TIMEOUT of the silent-Redis test

pings = Blueprint("faultpings", __name__)


@pings.post("/api/v1/faultpings")
@require_user
async def ping() -> dict[str, int]:
    usage = await check_limit(current_user(), "faults.pings")
    return {"used": usage.used}


class PingPlugin:
    @hookimpl
    def register_blueprints(self):
        return [pings]

    @hookimpl
    def register_tier_limits(self):
        return [TierLimit("faults.pings", "Pings a day", {"free": 100}, period="day")]


@pytest.fixture
async def redis_proxy(redis_settings):
    """A proxy in front of the run's Redis, and a key prefix of the test's own."""
    proxy = TcpProxy(urlsplit(redis_settings["REDIS_URL"]).port or 6379)
    await proxy.start()
    yield proxy, redis_settings["REDIS_KEY_PREFIX"]
    proxy.resume()
    await proxy.close()


async def _served(serve_app, redis_url: str, redis_proxy, **settings: Any) -> Any:
    """The app with the ping plugin, its Redis reached through the test's proxy."""
    proxy, prefix = redis_proxy
    return await serve_app(
        plugins={"faultpings": PingPlugin()},
        REDIS_URL=via(redis_url, proxy.port),
        REDIS_KEY_PREFIX=prefix,
        TASKS_IMMEDIATE=False,  # the real Redis queue (no consumer: tasks just wait)
        **settings,
    )


async def test_redis_down_degrades_as_documented_then_recovers(
    serve_app, redis_url, redis_proxy
) -> None:
    proxy, _ = redis_proxy
    server = await _served(serve_app, redis_url, redis_proxy, LOGIN_RATE_PER_MINUTE=3)
    http, cache = server.http, auth_state(server.app).cache
    auth = bearer((await register(http, "ada@example.com", PASSWORD))["access_token"])
    await eventually(lambda: _live(cache), what="the auth cache going live")
    assert (await http.get("/health")).status_code == 200
    assert (await http.post("/api/v1/faultpings", headers=auth)).json() == {"used": 1}

    await proxy.cut()

    health = await settles(http, "/health", 503)
    checks = health.json()["checks"]
    assert checks["cache"]["status"] == "down" and checks["database"]["status"] == "ok"
    await fails_fast(http.get("/ready"), 200)  # the database answers: keep the traffic
    # authentication falls back to SQL, and reads what was just written
    await eventually(lambda: _live(cache, False), what="the auth cache being bypassed")
    await fails_fast(http.patch("/api/v1/auth/me", headers=auth, json={"name": "Ada"}), 200)
    me = await fails_fast(http.get("/api/v1/auth/me", headers=auth), 200)
    assert me.json()["name"] == "Ada"
    # login works and is still throttled, in-process
    good = {"email": "ada@example.com", "password": PASSWORD}
    await fails_fast(http.post("/api/v1/auth/login", json=good), 200)
    bad = {"email": "ada@example.com", "password": "wrong password!"}
    for _ in range(3):
        await fails_fast(http.post("/api/v1/auth/login", json=bad), 401)
    throttled = await fails_fast(http.post("/api/v1/auth/login", json=bad), 429)
    assert throttled.json()["code"] == "RATE_LIMITED"
    # usage counters live in Redis: a clear 503, never an uncounted use
    assert_unavailable(await fails_fast(http.post("/api/v1/faultpings", headers=auth)))
    # the queue is in Redis: queuing a mail is a 503 …
    forgot = http.post("/api/v1/auth/password/forgot", json={"email": "ada@example.com"})
    assert_unavailable(await fails_fast(forgot))
    resend = http.post("/api/v1/auth/verify-email/send", headers=auth)
    assert_unavailable(await fails_fast(resend))
    # … but an account is still created (the verification mail can be resent later)
    new = {"email": "bob@example.com", "password": PASSWORD}
    await fails_fast(http.post("/api/v1/auth/register", json=new), 201)

    await proxy.restore()

    await eventually(lambda: _status(http, "/health", 200), what="/health recovering")
    await eventually(lambda: _live(cache), what="the auth cache going live again")
    assert (await http.post("/api/v1/faultpings", headers=auth)).json() == {"used": 2}
    forgot = await http.post("/api/v1/auth/password/forgot", json={"email": "ada@example.com"})
    assert forgot.status_code == 202, forgot.text
    queued, _ = await asyncio.to_thread(runtime(server.app).queue.depth)  # sync client
    assert queued >= 2  # the mails queued before the outage and after it


async def test_a_silent_redis_is_noticed_within_the_bound_then_recovers(
    serve_app, redis_url, redis_proxy
) -> None:
    proxy, _ = redis_proxy
    server = await _served(serve_app, redis_url, redis_proxy, REDIS_TIMEOUT=SILENCE_TIMEOUT)
    http, cache = server.http, auth_state(server.app).cache
    backplane = realtime_hub(server.app).backplane
    auth = bearer((await register(http, "cy@example.com", PASSWORD))["access_token"])
    await eventually(lambda: _live(cache), what="the auth cache going live")
    assert (await http.post("/api/v1/faultpings", headers=auth)).json() == {"used": 1}

    proxy.blackhole()  # connections stay open; nothing comes back

    # a request waits for one Redis reply at most (REDIS_TIMEOUT), then degrades
    within = SILENCE_TIMEOUT + 1
    assert_unavailable(
        await fails_fast(http.post("/api/v1/faultpings", headers=auth), within=within)
    )
    health = await settles(http, "/health", 503, each=within)
    checks = health.json()["checks"]
    assert checks["cache"]["status"] == "down" and checks["database"]["status"] == "ok"
    await fails_fast(http.get("/ready"), 200, within=within)
    # the pub/sub listeners hear nothing, not even their ping's answer: they let go
    await eventually(
        lambda: _live(cache, False), within=3 * SILENCE_TIMEOUT + 2, what="cache bypassed"
    )
    await eventually(
        lambda: _true(not backplane.subscribed.is_set()), within=3 * SILENCE_TIMEOUT + 2
    )
    await fails_fast(http.patch("/api/v1/auth/me", headers=auth, json={"name": "Cy"}), 200)
    assert (await fails_fast(http.get("/api/v1/auth/me", headers=auth), 200)).json()["name"] == "Cy"

    proxy.resume()

    await eventually(lambda: _status(http, "/health", 200), what="/health recovering")
    await eventually(lambda: _live(cache), what="the auth cache going live again")
    await eventually(lambda: _true(backplane.subscribed.is_set()), what="resubscribed")
    used = (await http.post("/api/v1/faultpings", headers=auth)).json()["used"]
    # 2, or 3: the use answered 503 was sent, held, and counted once the silence ended
    assert used in (2, 3)


async def _true(value: bool) -> bool:
    return value


async def _live(cache, wanted: bool = True) -> bool:
    return cache.live is wanted


async def _status(http, path: str, status: int) -> bool:
    return (await http.get(path)).status_code == status
