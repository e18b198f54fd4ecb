"""SQLite statements run on the event loop's thread unless they would wait for a lock or
are reads that run long (``maigie_core.db.sqlite_connection``): then they are rolled
back and run again on the connection's own thread, once, while the loop goes on."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections.abc import AsyncIterator, Awaitable
from pathlib import Path
from typing import Any

import pytest

from maigie_core.db.sqlite import SQLITE_PRAGMAS
from maigie_core.db.sqlite_connection import SqliteConnection

LOOP_THREAD = "the loop's thread"
# a statement of a few hundred ms: far above a 1 ms budget
COUNT = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ?) "


@pytest.fixture
def path(tmp_path: Path) -> str:
    file = str(tmp_path / "inline.db")
    setup = sqlite3.connect(file, isolation_level=None)
    setup.execute("PRAGMA journal_mode=WAL")
    setup.execute("CREATE TABLE t (x INTEGER, w TEXT)")
    setup.close()
    return file


async def connect(path: str, budget: float = 0.001) -> SqliteConnection:
    conn = await SqliteConnection(path, budget).open(SQLITE_PRAGMAS)
    loop_thread = threading.get_ident()

    def where() -> str:  # which thread runs the statement
        ident = threading.get_ident()
        return LOOP_THREAD if ident == loop_thread else threading.current_thread().name

    assert conn._conn is not None
    conn._conn.create_function("where_", 0, where)
    return conn


@pytest.fixture
async def conn(path: str) -> AsyncIterator[SqliteConnection]:
    connection = await connect(path)
    yield connection
    await connection.close()


async def run(conn: SqliteConnection, *statements: str | tuple[str, tuple[Any, ...]]) -> Any:
    """Run statements through the cursor peewee-async uses; the last one's rows."""
    rows = None
    async with conn.cursor() as cursor:
        for statement in statements:
            sql, params = statement if isinstance(statement, tuple) else (statement, ())
            await cursor.execute(sql, params)
            rows = await cursor.fetchall()
    return rows


async def longest_stall(work: Awaitable[Any]) -> tuple[Any, float]:
    """Await ``work`` while timing the loop: its result and the longest gap between ticks."""
    stall, last, done = 0.0, time.monotonic(), False

    async def tick() -> None:
        nonlocal stall, last
        while not done:
            await asyncio.sleep(0.001)
            now = time.monotonic()
            stall, last = max(stall, now - last), now

    ticker = asyncio.create_task(tick())
    try:
        result = await work
    finally:
        done = True
        await ticker
    return result, stall


async def test_short_statements_and_their_transaction_run_on_the_loop(conn) -> None:
    assert await run(conn, "SELECT where_()") == [(LOOP_THREAD,)]
    rows = await run(
        conn,
        "BEGIN IMMEDIATE",
        ("INSERT INTO t (x) VALUES (?)", (1,)),
        "SELECT where_(), count(*) FROM t",
        "COMMIT",
    )
    assert rows == []  # COMMIT's
    assert await run(conn, "SELECT where_(), count(*) FROM t") == [(LOOP_THREAD, 1)]


async def test_a_long_read_moves_to_the_thread_and_the_loop_goes_on(conn) -> None:
    rows, stall = await longest_stall(
        run(conn, (COUNT + "SELECT count(*), where_() FROM c", (3_000_000,)))
    )
    assert rows == [(3_000_000, "maigie-sqlite")]
    assert stall < 0.1, f"the loop stood still {stall:.3f} s"


async def test_a_long_write_runs_on_the_loop_to_its_end(conn) -> None:
    await run(conn, (COUNT + "INSERT INTO t SELECT x, where_() FROM c", (200_000,)))
    rows = await run(conn, "SELECT w, count(*), sum(x) FROM t GROUP BY w")
    assert rows == [(LOOP_THREAD, 200_000, 20_000_100_000)]


async def test_writes_returning_rows_are_never_interrupted_and_never_run_twice(path) -> None:
    """An INSERT … RETURNING interrupted while it hands back its rows has committed:
    with a budget nothing fits in, reads move to the thread, writes do not."""
    conn = await connect(path, budget=1e-9)
    try:
        for n in range(200):
            rows = await run(conn, ("INSERT INTO t VALUES (?, where_()) RETURNING x, w", (n,)))
            assert rows == [(n, LOOP_THREAD)]
        assert await run(conn, "SELECT count(*) FROM t") == [(200,)]
        long_read = (COUNT + "SELECT count(*), where_() FROM c", (10_000,))
        assert await run(conn, long_read) == [(10_000, "maigie-sqlite")]
    finally:
        await conn.close()


async def test_a_transaction_whose_first_read_runs_long_is_rolled_back_and_redone(
    conn,
) -> None:
    rows = await run(
        conn,
        "BEGIN IMMEDIATE",
        (COUNT + "SELECT count(*), where_() FROM c", (3_000_000,)),
    )
    assert rows == [(3_000_000, "maigie-sqlite")]  # begun again on the thread
    await run(conn, "INSERT INTO t SELECT 1, where_()", "COMMIT")  # the lock held: inline
    assert await run(conn, "SELECT w, count(*) FROM t GROUP BY w") == [(LOOP_THREAD, 1)]


async def test_a_write_lock_held_elsewhere_is_waited_for_on_the_thread(conn, path) -> None:
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    other.execute("INSERT INTO t (x) VALUES (1)")
    writer = asyncio.create_task(
        run(conn, "BEGIN IMMEDIATE", ("INSERT INTO t (x) VALUES (?)", (2,)), "COMMIT")
    )
    _, stall = await longest_stall(asyncio.sleep(0.3))
    assert not writer.done()
    assert stall < 0.1, f"the loop stood still {stall:.3f} s"
    reader = await connect(path)
    try:  # WAL: reads go on, on the loop
        assert await run(reader, "SELECT where_(), count(*) FROM t") == [(LOOP_THREAD, 0)]
    finally:
        await reader.close()
    other.execute("COMMIT")
    other.close()
    await asyncio.wait_for(writer, 10)
    assert await run(conn, "SELECT where_(), count(*) FROM t") == [(LOOP_THREAD, 2)]


async def test_statements_of_a_deferred_transaction_run_on_the_thread(conn) -> None:
    rows = await run(
        conn, "BEGIN", ("INSERT INTO t (x) VALUES (?)", (1,)), "SELECT where_() FROM t"
    )
    assert rows == [("maigie-sqlite",)]
    await run(conn, "COMMIT")


async def test_after_a_cancelled_caller_the_next_statement_queues_behind_it(conn) -> None:
    slow = asyncio.create_task(run(conn, (COUNT + "SELECT count(*) FROM c", (3_000_000,))))
    await asyncio.sleep(0.05)  # interrupted inline, now running on the thread
    slow.cancel()
    with pytest.raises(asyncio.CancelledError):
        await slow
    # the thread is still busy with it: this one waits there instead of running beside it
    assert await run(conn, "SELECT where_()") == [("maigie-sqlite",)]
    assert await run(conn, "SELECT where_()") == [(LOOP_THREAD,)]


async def test_a_budget_of_zero_runs_everything_on_the_thread(path) -> None:
    conn = await connect(path, budget=0)
    try:
        assert await run(conn, "SELECT where_()") == [("maigie-sqlite",)]
    finally:
        await conn.close()
