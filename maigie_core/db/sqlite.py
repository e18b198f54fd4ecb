"""The SQLite engine: a pool of connections, one writer at a time per process.

The embedded default. Connections (``sqlite_connection``) are pooled with the pragmas
applied once each; a root transaction or a write outside one first takes the process's
writer lock, and the outermost transaction begins ``IMMEDIATE`` so another process's
writer is waited for (``busy_timeout``) instead of failing.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import peewee
import peewee_async
from peewee_async.connection import connection_context
from peewee_async.pool import PoolBackend
from peewee_async.transactions import Transaction

from maigie_core.db.sqlite_connection import INLINE_BUDGET, SqliteConnection, read_only

SQLITE_PRAGMAS = (
    ("foreign_keys", "ON"),
    ("busy_timeout", "30000"),
    ("synchronous", "NORMAL"),
)


class _SqlitePool:
    """A real pool of SQLite connections with the pragmas applied once each.

    peewee-async opens a connection (and a thread) per query outside a connection
    context and ignores ``pragmas=``; this keeps connections and sets them. A connection
    runs each statement in one call, on the loop's thread or its own (``sqlite_connection``).
    """

    def __init__(self, path: str, max_size: int, inline_budget: float = INLINE_BUDGET) -> None:
        self.path = path
        self.inline_budget = inline_budget
        self.idle: list[SqliteConnection] = []
        self.slots = asyncio.Semaphore(max_size)
        self.closed = False
        self.in_use = 0

    async def acquire(self) -> SqliteConnection:
        if self.closed:
            raise peewee.OperationalError("the database pool is closed")
        await self.slots.acquire()
        try:
            if self.idle:
                conn = self.idle.pop()
            else:
                conn = await SqliteConnection(self.path, self.inline_budget).open(SQLITE_PRAGMAS)
        except BaseException:
            self.slots.release()
            raise
        self.in_use += 1
        return conn

    async def release(self, conn: SqliteConnection) -> None:
        self.in_use -= 1
        try:
            if self.closed or conn.in_transaction:
                await conn.close()
            else:
                self.idle.append(conn)
        finally:
            self.slots.release()

    async def close(self) -> None:
        self.closed = True
        while self.idle:
            await self.idle.pop().close()


class SqlitePoolBackend(PoolBackend):  # type: ignore[misc]
    required_modules: list[str] = []  # the sqlite3 module (sqlite_connection.py)

    async def create(self) -> None:
        params = self.connect_params
        self.pool = _SqlitePool(
            self.database,
            int(params.get("max_size", 8)),
            float(params.get("inline_budget", INLINE_BUDGET)),
        )

    @property
    def is_connected(self) -> bool:
        return self.pool is not None and not self.pool.closed

    async def acquire(self) -> Any:
        if self.pool is None:
            await self.connect()
        return await self.pool.acquire()

    async def release(self, conn: Any) -> None:
        await self.pool.release(conn)

    def has_acquired_connections(self) -> bool:
        return self.pool is not None and self.pool.in_use > 0

    async def close(self) -> None:
        if self.pool is not None:
            await self.pool.close()


class _ImmediateTransaction(Transaction):  # type: ignore[misc]
    """SQLite: take the write lock at BEGIN, so the busy timeout applies.

    A deferred transaction that reads and then writes fails at once with "database is
    locked" when another writer got in between; ``BEGIN IMMEDIATE`` waits instead.
    """

    async def begin(self) -> None:
        await self.execute(f"SAVEPOINT {self.savepoint}" if self.savepoint else "BEGIN IMMEDIATE")


def in_transaction() -> bool:
    """Whether this task runs inside a ``transaction()`` (any engine; re-exported by
    ``maigie_core.db``)."""
    context = connection_context.get()
    return context is not None and context.transaction_is_opened


class SqliteDatabase(peewee_async.SqliteDatabase):  # type: ignore[misc]
    """SQLite with one writer at a time *in this process*, queued on an asyncio lock.

    SQLite allows one writer per file; a connection that finds the write lock taken
    sleeps in SQLite's busy handler (1, 2, 5 … 100 ms steps), which made tails of
    hundreds of ms under 4 concurrent writers. Here a root transaction, and a write
    statement run outside one, first take the process's writer lock, so connections of
    this process never meet in the busy handler; reads stay concurrent (WAL). Writers in
    other processes (or other threads' databases) still wait on ``busy_timeout``.
    """

    pool_backend_cls = SqlitePoolBackend

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._writer: tuple[asyncio.AbstractEventLoop, asyncio.Lock] | None = None

    def writer_lock(self) -> asyncio.Lock:
        """The writer lock of the running loop (a database may outlive a test's loop)."""
        loop = asyncio.get_running_loop()
        if self._writer is None or self._writer[0] is not loop:
            self._writer = (loop, asyncio.Lock())
        return self._writer[1]

    async def aio_execute_sql(self, sql: str, params: Any = None, fetch_results: Any = None) -> Any:
        if in_transaction() or read_only(sql):
            return await super().aio_execute_sql(sql, params, fetch_results)
        async with self.writer_lock():
            return await super().aio_execute_sql(sql, params, fetch_results)

    @asynccontextmanager
    async def _aio_atomic(self, use_savepoint: bool = False) -> AsyncIterator[None]:
        if in_transaction():
            async with self._aio_atomic_unlocked(use_savepoint):
                yield
            return
        async with self.writer_lock(), self._aio_atomic_unlocked(use_savepoint):
            yield

    @asynccontextmanager
    async def _aio_atomic_unlocked(self, use_savepoint: bool) -> AsyncIterator[None]:
        # peewee-async's own, with BEGIN IMMEDIATE for the outermost transaction.
        async with self.aio_connection() as connection:
            context = connection_context.get()
            assert context is not None
            is_root = not context.transaction_is_opened
            if not is_root and not use_savepoint:
                raise peewee.OperationalError("Transaction already opened")
            try:
                async with _ImmediateTransaction(connection, is_savepoint=not is_root):
                    if is_root:
                        context.transaction_is_opened = True
                    yield
            finally:
                if is_root:
                    context.transaction_is_opened = False

    def _connect(self) -> Any:
        conn = super()._connect()
        for name, value in SQLITE_PRAGMAS:
            conn.execute(f"PRAGMA {name}={value}")
        return conn
