"""PostgreSQL goes away under a served app and comes back: fast 503s, then recovery.

No restart of the app in between: the same server, the same pool.
"""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

import psycopg
import pytest
from fault_support import (
    FAIL_FAST,
    TcpProxy,
    assert_unavailable,
    bearer,
    fails_fast,
    register,
    settles,
    timed,
    via,
)
from wait_support import eventually

from maigie_core.routes import HEALTH_CHECK_TIMEOUT

PASSWORD = "correct horse battery"
APP_NAME = "maigie-faults"


@pytest.fixture
async def pg_proxy(pg_url):
    """A proxy in front of the run's PostgreSQL that the test can cut or blackhole."""
    proxy = TcpProxy(urlsplit(pg_url).port or 5432)
    await proxy.start()
    yield proxy
    proxy.resume()
    await proxy.close()


@pytest.fixture
async def proxied(serve_app, pg_url, pg_proxy):
    """A served app whose PostgreSQL is reached through ``pg_proxy``."""
    return pg_proxy, await serve_app(DATABASE_URL=via(pg_url, pg_proxy.port), DATABASE_POOL_MAX=4)


async def _ok(http, path: str, headers=None) -> bool:
    return (await http.get(path, headers=headers)).status_code == 200


async def test_postgres_cut_requests_fail_fast_with_503_then_the_app_recovers(proxied) -> None:
    proxy, server = proxied
    http = server.http
    tokens = await register(http, "ada@example.com", PASSWORD)
    auth = bearer(tokens["access_token"])
    assert (await http.get("/api/v1/auth/me", headers=auth)).status_code == 200
    assert (await http.get("/ready")).status_code == 200

    await proxy.cut()  # every pooled connection is gone, new ones are refused

    for _ in range(3):  # not just the first request: every one while it is down
        me = await fails_fast(http.get("/api/v1/auth/me", headers=auth))
        assert_unavailable(me)
    login = await fails_fast(
        http.post("/api/v1/auth/login", json={"email": "ada@example.com", "password": PASSWORD})
    )
    assert_unavailable(login)
    patch = await fails_fast(http.patch("/api/v1/auth/me", headers=auth, json={"name": "X"}))
    assert_unavailable(patch)
    listed = await fails_fast(http.get("/api/v1/notifications", headers=auth))
    assert_unavailable(listed)
    health = await settles(http, "/health", 503)
    assert health.json()["checks"]["database"]["status"] == "down"
    ready = await settles(http, "/ready", 503)
    assert ready.json() == {"ready": False}

    # many at once (more than the pool holds): all answered, all 503, none hangs
    burst, took = await timed(
        asyncio.gather(*(http.get("/api/v1/auth/me", headers=auth) for _ in range(20)))
    )
    assert took < FAIL_FAST and {r.status_code for r in burst} == {503}

    await proxy.restore()
    recovery = eventually(lambda: _ok(http, "/api/v1/auth/me", auth), 10, "recovery")
    _, recovered_in = await timed(recovery)
    assert recovered_in < 5, f"took {recovered_in:.1f} s to recover"
    await settles(http, "/health", 200)
    assert (await settles(http, "/ready", 200)).json() == {"ready": True}
    # the same server reads and writes again; nothing written before was lost
    patched = await http.patch("/api/v1/auth/me", headers=auth, json={"name": "Ada"})
    assert patched.status_code == 200, patched.text
    me = (await http.get("/api/v1/auth/me", headers=auth)).json()
    assert me["email"] == "ada@example.com" and me["name"] == "Ada"
    burst = await asyncio.gather(*(http.get("/api/v1/auth/me", headers=auth) for _ in range(20)))
    assert {r.status_code for r in burst} == {200}


async def test_a_cut_in_the_middle_of_a_load_gives_503s_never_500s_or_hangs(proxied) -> None:
    proxy, server = proxied
    http = server.http
    auth = bearer((await register(http, "bob@example.com", PASSWORD))["access_token"])
    statuses: list[int] = []
    slowest = 0.0
    stop = asyncio.Event()

    async def client() -> None:
        nonlocal slowest
        while not stop.is_set():
            response, took = await timed(http.get("/api/v1/auth/me", headers=auth))
            statuses.append(response.status_code)
            slowest = max(slowest, took)

    clients = [asyncio.create_task(client()) for _ in range(8)]
    await asyncio.sleep(0.5)
    await proxy.cut()  # queries in flight lose their connection
    await asyncio.sleep(3)  # longer than a request may take: the waits must not add up
    await proxy.restore()
    await asyncio.sleep(2.5)
    stop.set()
    await asyncio.gather(*clients)
    assert set(statuses) <= {200, 503} and 503 in statuses
    assert slowest < FAIL_FAST, f"slowest request {slowest:.2f} s"
    assert statuses[-8:] == [200] * 8  # recovered while the load went on


async def test_a_silent_postgres_gives_503s_within_the_bound_then_the_app_recovers(
    serve_app, pg_url, pg_proxy
) -> None:
    # a reply is awaited STATEMENT_TIMEOUT + NETWORK_TIMEOUT = 2 s, a connection 1 s,
    # a pooled one 2 s: every request is answered within FAIL_FAST
    server = await serve_app(
        DATABASE_URL=via(pg_url, pg_proxy.port),
        DATABASE_POOL_MAX=4,
        DATABASE_POOL_TIMEOUT=2,
        DATABASE_CONNECT_TIMEOUT=1,
        DATABASE_STATEMENT_TIMEOUT=1,
        DATABASE_NETWORK_TIMEOUT=1,
    )
    http = server.http
    auth = bearer((await register(http, "eve@example.com", PASSWORD))["access_token"])
    warm = await asyncio.gather(*(http.get("/api/v1/auth/me", headers=auth) for _ in range(8)))
    assert {r.status_code for r in warm} == {200}  # idle pooled connections, soon silent

    pg_proxy.blackhole()  # connections stay open; nothing comes back

    for _ in range(3):  # each takes a pooled connection that never answers
        assert_unavailable(await fails_fast(http.get("/api/v1/auth/me", headers=auth)))
    patch = await fails_fast(http.patch("/api/v1/auth/me", headers=auth, json={"name": "X"}))
    assert_unavailable(patch)
    burst, took = await timed(
        asyncio.gather(*(http.get("/api/v1/auth/me", headers=auth) for _ in range(10)))
    )
    assert took < FAIL_FAST and {r.status_code for r in burst} == {503}
    ready = await settles(http, "/ready", 503)
    assert ready.json() == {"ready": False}

    pg_proxy.resume()
    _, recovered_in = await timed(
        eventually(lambda: _ok(http, "/api/v1/auth/me", auth), within=10, what="recovery")
    )
    assert recovered_in < 5, f"took {recovered_in:.1f} s to recover"
    burst = await asyncio.gather(*(http.get("/api/v1/auth/me", headers=auth) for _ in range(12)))
    assert {r.status_code for r in burst} == {200}
    patched = await http.patch("/api/v1/auth/me", headers=auth, json={"name": "Eve"})
    assert patched.status_code == 200, patched.text
    assert (await http.get("/api/v1/auth/me", headers=auth)).json()["name"] == "Eve"


async def test_health_answers_in_its_own_time_when_postgres_goes_silent(
    serve_app, pg_url, pg_proxy
) -> None:
    # default timeouts: a statement would wait 30 + 10 s for its reply, /health's check 3 s
    # (no result reused: each call below runs the check)
    server = await serve_app(DATABASE_URL=via(pg_url, pg_proxy.port), HEALTH_CACHE_SECONDS=0)
    assert (await server.http.get("/health")).status_code == 200

    pg_proxy.blackhole()

    health = await fails_fast(server.http.get("/health"), within=HEALTH_CHECK_TIMEOUT + 1)
    assert health.json()["checks"]["database"]["status"] == "down"
    assert (
        await fails_fast(server.http.get("/ready"), within=HEALTH_CHECK_TIMEOUT + 1)
    ).json() == {"ready": False}


async def _terminate(pg_url: str) -> int:
    """Kill the app's backends (``pg_terminate_backend``); wait until they are gone."""
    async with await psycopg.AsyncConnection.connect(pg_url, autocommit=True) as conn:
        query = (
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND application_name = %s"
        )
        killed = len(await (await conn.execute(query, [APP_NAME])).fetchall())

        async def gone() -> bool:
            count = "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s"
            row = await (await conn.execute(count, [APP_NAME])).fetchone()
            return row is not None and row[0] == 0

        await eventually(gone, 5, "the terminated backends to go")
        return killed


async def test_backends_killed_under_the_pool_are_replaced_without_failing_requests(
    serve_app, pg_url
) -> None:
    url = f"{pg_url}{'&' if '?' in pg_url else '?'}application_name={APP_NAME}"
    server = await serve_app(DATABASE_URL=url, DATABASE_POOL_MIN=2, DATABASE_POOL_MAX=4)
    http = server.http
    auth = bearer((await register(http, "cy@example.com", PASSWORD))["access_token"])
    # several pooled connections, all idle afterwards
    warm = await asyncio.gather(*(http.get("/api/v1/auth/me", headers=auth) for _ in range(12)))
    assert {r.status_code for r in warm} == {200}

    assert await _terminate(pg_url) >= 2

    # every pooled connection is dead; each is noticed at checkout and replaced
    for _ in range(6):
        response, took = await timed(http.get("/api/v1/auth/me", headers=auth))
        assert response.status_code == 200 and took < FAIL_FAST, response.text
    assert (await http.get("/ready")).status_code == 200

    await asyncio.gather(*(http.get("/api/v1/auth/me", headers=auth) for _ in range(12)))
    assert await _terminate(pg_url) >= 1
    burst = await asyncio.gather(*(http.get("/api/v1/auth/me", headers=auth) for _ in range(12)))
    assert {r.status_code for r in burst} == {200}
    assert (await http.get("/health")).status_code == 200


async def test_a_statement_stuck_on_a_lock_is_cut_short_with_a_503(serve_app, pg_url) -> None:
    server = await serve_app(DATABASE_STATEMENT_TIMEOUT=1)
    http = server.http
    auth = bearer((await register(http, "di@example.com", PASSWORD))["access_token"])
    async with await psycopg.AsyncConnection.connect(pg_url) as locker:
        await locker.execute("LOCK TABLE maigie_user IN ACCESS EXCLUSIVE MODE")  # a migration
        me = await fails_fast(http.get("/api/v1/auth/me", headers=auth))
        assert_unavailable(me)
        assert "statement timeout" in me.json()["detail"]  # detail: outside production
        await locker.rollback()
    assert (await http.get("/api/v1/auth/me", headers=auth)).status_code == 200
