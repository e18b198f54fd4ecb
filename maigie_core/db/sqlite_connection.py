"""An asyncio SQLite connection that runs each statement in one trip to its thread.

aiosqlite makes four trips to a connection's thread for one peewee-async query (make a
cursor, execute, fetch, close the cursor), each a thread wake-up and a loop wake-up:
on a loaded machine every one of them can wait for a CPU. Here a statement and all its
rows come back in one trip, and the cursor handed to peewee-async serves them from
memory. The connection belongs to one thread of its own (sqlite3 objects are not shared
between threads at once), like aiosqlite's.

A transaction's ``BEGIN`` travels with its first statement (one trip fewer while the
writer lock is held); a transaction in which nothing ran ends without a trip.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Callable, Sequence
from queue import SimpleQueue
from typing import Any

_Job = tuple[asyncio.Future[Any], Callable[[], Any]] | None


def _settle(future: asyncio.Future[Any], ok: bool, value: Any) -> None:
    if future.done():  # the waiting task was cancelled
        return
    if ok:
        future.set_result(value)
    else:
        future.set_exception(value)


def _worker(jobs: SimpleQueue[_Job]) -> None:
    while (job := jobs.get()) is not None:
        future, function = job
        try:
            result, ok = function(), True
        except BaseException as exc:
            result, ok = exc, False
        loop = future.get_loop()
        if not loop.is_closed():
            loop.call_soon_threadsafe(_settle, future, ok, result)


_BEGIN = ("BEGIN", "BEGIN IMMEDIATE", "BEGIN DEFERRED", "BEGIN EXCLUSIVE")
_END = ("COMMIT", "ROLLBACK")


def _statement(
    conn: sqlite3.Connection, sql: str, params: Sequence[Any], begin: str | None = None
) -> tuple[Any, int | None, int, list[Any]]:
    if begin is not None:
        conn.execute(begin)
    cursor = conn.execute(sql, params)
    try:
        rows = cursor.fetchall()
        return cursor.description, cursor.lastrowid, cursor.rowcount, rows
    finally:
        cursor.close()


class SqliteCursor:
    """The result of one statement: what peewee-async reads from a cursor."""

    def __init__(self, connection: SqliteConnection) -> None:
        self._connection = connection
        self._rows: list[Any] = []
        self._next = 0
        self.description: Any = None
        self.lastrowid: int | None = None
        self.rowcount = -1

    async def __aenter__(self) -> SqliteCursor:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._rows = []

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        connection = self._connection
        if sql in _BEGIN and connection.begin is None and not connection.in_transaction:
            connection.begin = sql  # sent with the transaction's first statement
            return
        begin, connection.begin = connection.begin, None
        if sql in _END and (begin is not None or not connection.in_transaction):
            return  # nothing ran in it (or its BEGIN failed): nothing to end
        found = await connection.run(_statement, sql, params, begin)
        self.description, self.lastrowid, self.rowcount, self._rows = found
        self._next = 0

    async def fetchone(self) -> Any:
        rows = await self.fetchmany(1)
        return rows[0] if rows else None

    async def fetchmany(self, size: int) -> list[Any]:
        start = self._next
        self._next = min(len(self._rows), start + size)
        return self._rows[start : self._next]

    async def fetchall(self) -> list[Any]:
        return await self.fetchmany(len(self._rows))


class SqliteConnection:
    """One ``sqlite3`` connection (autocommit mode) driven from asyncio."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._conn: sqlite3.Connection | None = None
        self.begin: str | None = None  # a BEGIN held back until the first statement
        self._jobs: SimpleQueue[_Job] = SimpleQueue()
        self._thread = threading.Thread(
            target=_worker, args=(self._jobs,), name="maigie-sqlite", daemon=True
        )

    async def open(self, pragmas: Sequence[tuple[str, str]]) -> SqliteConnection:
        def connect() -> sqlite3.Connection:
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            for name, value in pragmas:
                conn.execute(f"PRAGMA {name}={value}")
            return conn

        self._thread.start()
        try:
            self._conn = await self._call(connect)
        except BaseException:
            self._jobs.put(None)
            raise
        return self

    def _call(self, function: Callable[[], Any]) -> asyncio.Future[Any]:
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._jobs.put((future, function))
        return future

    async def run(self, function: Callable[..., Any], *args: Any) -> Any:
        """``function(sqlite3_connection, *args)`` on the connection's thread."""
        conn = self._conn
        if conn is None:
            raise sqlite3.ProgrammingError("Cannot operate on a closed database.")
        return await self._call(lambda: function(conn, *args))

    @property
    def in_transaction(self) -> bool:
        return self.begin is not None or (self._conn is not None and self._conn.in_transaction)

    def cursor(self) -> SqliteCursor:
        return SqliteCursor(self)

    async def execute_fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        rows: list[Any] = (await self.run(_statement, sql, params))[3]
        return rows

    async def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            await self._call(conn.close)
        self._jobs.put(None)
