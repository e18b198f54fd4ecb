"""SQLite: one writer at a time per process (an asyncio lock), reads stay concurrent,
and a writer in another process is still waited for (``busy_timeout``)."""

from __future__ import annotations

import asyncio
import sqlite3
import sys
import textwrap

import peewee
import pytest

import maigie_core.db.sqlite as sqlite_engine
from maigie_core import transaction
from maigie_core.db import database, is_postgres
from maigie_core.runtime import runtime

INSERT = "INSERT INTO maigie_plugin_state (name, enabled, changed_at) VALUES (?, 1, '2026-01-01')"


@pytest.fixture
def sqlite_app(app):
    if is_postgres(runtime(app).db):
        pytest.skip("SQLite only")
    return app


@pytest.fixture
def impatient_app(make_app, monkeypatch):
    """A SQLite app whose connections never wait for a lock (busy_timeout 0): one that
    met another's write lock would fail at once.

    Opening connections is the one legitimate wait: when none is open, the first to read
    rebuilds the WAL index and the others meet ``SQLITE_BUSY_RECOVERY``. Tests keep one
    connection open (``_count()`` first) before they open more at once."""
    pragmas = [(k, "0" if k == "busy_timeout" else v) for k, v in sqlite_engine.SQLITE_PRAGMAS]
    monkeypatch.setattr(sqlite_engine, "SQLITE_PRAGMAS", tuple(pragmas))
    app = make_app()
    if is_postgres(runtime(app).db):
        pytest.skip("SQLite only")
    return app


async def _count() -> int:
    row = await database.aio_execute_sql(
        "SELECT COUNT(*) FROM maigie_plugin_state", fetch_results=lambda db, c: c.fetchone()
    )
    return int(row[0])


async def test_writers_of_one_process_never_wait_in_the_busy_handler(impatient_app) -> None:
    app = impatient_app
    async with app.test_app():
        await _count()  # one open connection keeps the WAL index (see impatient_app)

        async def in_transaction(i: int) -> None:
            async with transaction():
                await _count()
                await asyncio.sleep(0.002)
                await database.aio_execute_sql(INSERT, (f"t{i}",))

        async def autocommit(i: int) -> None:
            await _count()
            await database.aio_execute_sql(INSERT, (f"a{i}",))

        jobs = [in_transaction(i) for i in range(20)] + [autocommit(i) for i in range(20)]
        results = await asyncio.gather(*jobs, return_exceptions=True)
        assert [r for r in results if r is not None] == []
        assert await _count() == 40


async def test_reads_do_not_wait_for_the_writer(sqlite_app) -> None:
    inside, finish = asyncio.Event(), asyncio.Event()

    async def slow_writer() -> None:
        async with transaction():
            await database.aio_execute_sql(INSERT, ("held",))
            inside.set()
            await finish.wait()

    writer = asyncio.create_task(slow_writer())
    await inside.wait()
    assert await asyncio.wait_for(_count(), 5) == 0  # WAL: the committed state, at once
    finish.set()
    await writer
    assert await _count() == 1


async def test_a_cancelled_transaction_gives_the_writer_lock_back(sqlite_app) -> None:
    inside = asyncio.Event()

    async def stuck() -> None:
        async with transaction():
            await database.aio_execute_sql(INSERT, ("rolled back",))
            inside.set()
            await asyncio.sleep(60)

    task = asyncio.create_task(stuck())
    await inside.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await asyncio.wait_for(database.aio_execute_sql(INSERT, ("next",)), 5)
    assert await _count() == 1


async def test_a_writer_in_another_process_is_waited_for(sqlite_app, tmp_path) -> None:
    path = runtime(sqlite_app).db.database
    script = textwrap.dedent(
        f"""
        import asyncio, sys
        from maigie_core.db import open_database
        async def main():
            db = open_database({("sqlite:///" + path)!r})
            for i in range(60):
                async with db.aio_atomic():
                    await db.aio_execute_sql({INSERT!r}, (f"other{{i}}",))
                    await asyncio.sleep(0.002)  # hold the write lock a while
            await db.aio_close()
        asyncio.run(main())
        """
    )
    other = await asyncio.create_subprocess_exec(sys.executable, "-c", script)
    try:
        for i in range(60):
            async with transaction():
                await database.aio_execute_sql(INSERT, (f"mine{i}",))
                await asyncio.sleep(0.002)
    finally:
        assert await asyncio.wait_for(other.wait(), 60) == 0
    assert await _count() == 120


async def test_begin_travels_with_the_first_statement(impatient_app) -> None:
    """An empty transaction costs nothing; a BEGIN that cannot get the lock fails the
    first statement with SQLite's own error (no failed ROLLBACK hides it)."""
    app = impatient_app
    async with app.test_app():
        async with transaction():
            pass
        other = sqlite3.connect(runtime(app).db.database, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
        try:
            with pytest.raises(peewee.OperationalError, match="database is locked"):
                async with transaction():
                    await database.aio_execute_sql(INSERT, ("blocked",))
        finally:
            other.execute("ROLLBACK")
            other.close()
        async with transaction():
            await database.aio_execute_sql(INSERT, ("after",))
        assert await _count() == 1
