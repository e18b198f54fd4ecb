"""PostgreSQL's lean pool and prepared statements (``maigie_core.db.postgres``, ``prepared``)."""

from __future__ import annotations

import asyncio
import os
import socket
import uuid
from collections.abc import AsyncIterator
from datetime import date, datetime
from urllib.parse import urlsplit, urlunsplit

import peewee
import psycopg
import pytest

from maigie_core.db import PostgresDatabase, open_database, prepared
from maigie_core.db.postgres import PgConnection, PgPool, PoolTimeout
from maigie_core.runtime import runtime


@pytest.fixture
async def db(pg_url: str) -> AsyncIterator[PostgresDatabase]:
    database = open_database(pg_url, pool_min=1, pool_max=2)
    assert isinstance(database, PostgresDatabase)
    await database.aio_connect()
    await database.aio_execute_sql("DROP TABLE IF EXISTS pool_probe")
    await database.aio_execute_sql("CREATE TABLE pool_probe (name text PRIMARY KEY, n int)")
    yield database
    await database.aio_execute_sql("DROP TABLE IF EXISTS pool_probe")
    await database.aio_close()


def pool_of(db: PostgresDatabase) -> PgPool:
    pool = db.pool_backend.pool
    assert isinstance(pool, PgPool)
    return pool


async def test_parameters_and_rows_keep_their_types(db: PostgresDatabase) -> None:
    when, day, key = datetime(2026, 11, 5, 10, 0, 0, 123456), date(2026, 1, 2), uuid.uuid4()
    row = await db.aio_execute_prepared(
        "SELECT %s::text, %s::int, %s::bool, %s::int, %s::timestamp, %s::date, %s::uuid, '100%%'",
        ("héllo", 42, True, None, when, day, key),
        "one",
    )
    assert row == ("héllo", 42, True, None, when, day, key, "100%")
    # The same statement again runs prepared (by name) with other values.
    again = await db.aio_execute_prepared(
        "SELECT %s::text, %s::int, %s::bool, %s::int, %s::timestamp, %s::date, %s::uuid, '100%%'",
        ("", -1, False, 7, when, day, key),
        "one",
    )
    assert again[:4] == ("", -1, False, 7)


async def test_fetch_modes(db: PostgresDatabase) -> None:
    insert = "INSERT INTO pool_probe (name, n) VALUES (%s, %s)"
    assert await db.aio_execute_prepared(insert, ("a", 1)) is None
    await db.aio_execute_prepared(insert, ("b", 2))
    select = "SELECT name, n FROM pool_probe WHERE n >= %s ORDER BY n"
    assert await db.aio_execute_prepared(select, (1,), "all") == [("a", 1), ("b", 2)]
    assert await db.aio_execute_prepared(select, (2,), "one") == ("b", 2)
    assert await db.aio_execute_prepared(select, (3,), "one") is None
    assert await db.aio_execute_prepared(select, (3,), "all") == []


async def test_errors_are_peewees_and_the_connection_stays_usable(db: PostgresDatabase) -> None:
    insert = "INSERT INTO pool_probe (name, n) VALUES (%s, %s)"
    await db.aio_execute_prepared(insert, ("a", 1))
    with pytest.raises(peewee.IntegrityError):
        await db.aio_execute_prepared(insert, ("a", 2))
    with pytest.raises(peewee.DataError):
        await db.aio_execute_prepared("SELECT 1 / %s", (0,), "one")
    with pytest.raises(peewee.ProgrammingError):
        await db.aio_execute_prepared("SELECT %s", (1, 2), "one")
    assert await db.aio_execute_prepared("SELECT %s::int", (5,), "one") == (5,)
    assert pool_of(db).size == 1  # the same connection all along


async def test_a_statement_larger_than_the_socket_buffer(
    db: PostgresDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    waited: list[int] = []
    wait_socket = prepared._wait_socket

    async def counting(conn: PgConnection, deadline: float | None, *, flush: bool) -> None:
        waited.extend([1] if flush else [])
        await wait_socket(conn, deadline, flush=flush)

    monkeypatch.setattr(prepared, "_wait_socket", counting)
    big = "x" * 20_000_000  # more than the kernel takes at once: sent as the socket drains
    row = await db.aio_execute_prepared("SELECT length(%s::text)", (big,), "one")
    assert row == (20_000_000,) and waited


async def test_inside_a_transaction_it_uses_the_transactions_connection(
    db: PostgresDatabase,
) -> None:
    insert = "INSERT INTO pool_probe (name, n) VALUES (%s, %s)"
    with pytest.raises(RuntimeError):
        async with db.aio_atomic():
            await db.aio_execute_prepared(insert, ("rolled back", 1))
            assert await db.aio_execute_prepared("SELECT count(*) FROM pool_probe", (), "one") == (
                1,
            )
            raise RuntimeError
    assert await db.aio_execute_prepared("SELECT count(*) FROM pool_probe", (), "one") == (0,)


async def test_waiters_share_the_pool_and_never_exceed_it(db: PostgresDatabase) -> None:
    pool = pool_of(db)
    peak = 0

    async def query(i: int) -> int:
        nonlocal peak
        async with db.aio_connection():
            peak = max(peak, pool.in_use)
            row = await db.aio_execute_prepared("SELECT %s::int FROM pg_sleep(0.02)", (i,), "one")
        return int(row[0])

    assert await asyncio.gather(*(query(i) for i in range(12))) == list(range(12))
    assert peak == 2 and pool.size == 2 and pool.in_use == 0


async def test_a_checkout_times_out_with_a_503_error(db: PostgresDatabase) -> None:
    pool = pool_of(db)
    pool.timeout = 0.2
    held = [await pool.acquire(), await pool.acquire()]
    with pytest.raises(PoolTimeout) as caught:
        await pool.acquire()
    assert isinstance(caught.value, psycopg.OperationalError)  # the 503 handler's class
    for conn in held:
        pool.release_nowait(conn)
    assert pool.in_use == 0 and not pool.waiters
    assert await db.aio_execute_prepared("SELECT 1", (), "one") == (1,)


async def test_a_connection_left_in_a_transaction_is_closed_not_reused(
    db: PostgresDatabase,
) -> None:
    pool = pool_of(db)
    conn = await pool.acquire()
    await conn.execute("BEGIN")
    await conn.execute("INSERT INTO pool_probe (name, n) VALUES ('leaked', 1)")
    pool.release_nowait(conn)
    assert conn not in pool.idle and pool.size == 0
    await asyncio.sleep(0.05)
    assert conn.closed
    assert await db.aio_execute_prepared("SELECT count(*) FROM pool_probe", (), "one") == (0,)


async def test_a_cancelled_query_drops_its_connection(db: PostgresDatabase) -> None:
    pool = pool_of(db)
    slow = asyncio.create_task(db.aio_execute_prepared("SELECT pg_sleep(5)", (), "one"))
    await asyncio.sleep(0.2)
    slow.cancel()
    with pytest.raises(asyncio.CancelledError):
        await slow
    assert pool.in_use == 0 and not pool.idle  # its connection was mid-statement
    assert await db.aio_execute_prepared("SELECT 2", (), "one") == (2,)


async def _kill(pg_url: str, pid: int) -> None:
    async with await psycopg.AsyncConnection.connect(pg_url, autocommit=True) as admin:
        await admin.execute("SELECT pg_terminate_backend(%s)", (pid,))


async def test_an_idle_connection_the_server_closed_is_replaced_at_checkout(
    db: PostgresDatabase, pg_url: str
) -> None:
    pool = pool_of(db)
    assert await db.aio_execute_prepared("SELECT 1", (), "one") == (1,)
    victim = pool.idle[0]
    await _kill(pg_url, victim.info.backend_pid)
    await asyncio.sleep(0.1)
    assert await db.aio_execute_prepared("SELECT 3", (), "one") == (3,)
    assert victim not in pool.idle and pool.size == 1


async def test_a_connection_killed_mid_statement_fails_that_statement_only(
    db: PostgresDatabase, pg_url: str
) -> None:
    pool = pool_of(db)
    slow = asyncio.create_task(db.aio_execute_prepared("SELECT pg_sleep(5)", (), "one"))
    await asyncio.sleep(0.3)
    assert pool.in_use == 1
    async with await psycopg.AsyncConnection.connect(pg_url, autocommit=True) as admin:
        await admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE query LIKE 'SELECT pg_sleep(5)%%' AND pid <> pg_backend_pid()"
        )
    with pytest.raises((peewee.OperationalError, peewee.InterfaceError)):  # the 503 handler's
        await slow
    assert pool.in_use == 0 and pool.size == 0
    assert await db.aio_execute_prepared("SELECT 4", (), "one") == (4,)


async def test_when_the_server_is_unreachable_waiters_fail_at_once(pg_url: str) -> None:
    pool = PgPool(pg_url, max_size=1, timeout=30)
    held = await pool.acquire()
    waiters = [asyncio.create_task(pool.acquire()) for _ in range(3)]
    await asyncio.sleep(0.05)
    pool.conninfo = "postgresql://postgres@127.0.0.1:1/nowhere"  # the server went away...
    await held.close()  # ...under a connection in use
    pool.release_nowait(held)  # discarded: the first waiter tries to connect, and fails
    results = await asyncio.wait_for(asyncio.gather(*waiters, return_exceptions=True), 5)
    assert all(isinstance(r, psycopg.OperationalError) for r in results), results
    assert all("unreachable" in str(r) for r in results)
    assert pool.size == 0 and not pool.waiters
    await pool.close()


async def test_the_apps_connections_carry_the_network_timeout(make_app, pg_url: str) -> None:
    app = make_app(DATABASE_URL=pg_url, DATABASE_NETWORK_TIMEOUT=4)
    async with app.test_app():
        pool = pool_of(runtime(app).db)
        conn = await pool.acquire()
        sock = socket.socket(fileno=os.dup(conn.pgconn.socket))  # a second handle only
        try:
            assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE) == 1
            assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_USER_TIMEOUT) == 4000
            assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE) == 2
        finally:
            sock.close()
            pool.release_nowait(conn)
        assert conn.reply_timeout == 30 + 4  # DATABASE_STATEMENT_TIMEOUT + the network's


@pytest.fixture
async def limited_url(pg_url: str) -> AsyncIterator[str]:
    """A URL of the run's database as a role allowed 2 connections (created for the test)."""
    parts = urlsplit(pg_url)
    role = f"{parts.path.lstrip('/')}_limited"[:63]  # one per test database
    async with await psycopg.AsyncConnection.connect(pg_url, autocommit=True) as admin:
        await admin.execute(f'DROP ROLE IF EXISTS "{role}"')
        await admin.execute(f"CREATE ROLE \"{role}\" LOGIN PASSWORD 'limited' CONNECTION LIMIT 2")
        host = parts.netloc.rpartition("@")[2]
        yield urlunsplit(parts._replace(netloc=f"{role}:limited@{host}"))
        await admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = %s", [role]
        )
        await admin.execute(f'DROP ROLE "{role}"')


async def test_requests_wait_for_busy_connections_when_the_server_gives_no_more(
    limited_url: str,
) -> None:
    db = open_database(limited_url, pool_min=1, pool_max=6, pool_timeout=10)
    await db.aio_connect()
    try:

        async def query(i: int) -> int:
            async with db.aio_connection():
                row = await db.aio_execute_prepared(
                    "SELECT %s::int FROM pg_sleep(0.1)", (i,), "one"
                )
            return int(row[0])

        # 12 at once on a pool of 6, of which the server allows 2: the refused ones wait
        assert await asyncio.gather(*(query(i) for i in range(12))) == list(range(12))
        assert pool_of(db).size == 2
        assert await asyncio.gather(*(query(i) for i in range(4))) == list(range(4))
    finally:
        await db.aio_close()


async def test_with_none_of_its_own_open_a_refused_pool_fails_at_once(limited_url: str) -> None:
    async with (
        await psycopg.AsyncConnection.connect(limited_url),
        await psycopg.AsyncConnection.connect(limited_url),  # the role's 2, taken elsewhere
    ):
        pool = PgPool(limited_url, max_size=4, timeout=10)
        waiting = [asyncio.create_task(pool.acquire()) for _ in range(3)]
        results = await asyncio.wait_for(asyncio.gather(*waiting, return_exceptions=True), 5)
        assert all(isinstance(r, psycopg.OperationalError) for r in results), results
        assert "too many connections" in str(results[0])
        assert pool.size == 0 and not pool.waiters
        await pool.close()
