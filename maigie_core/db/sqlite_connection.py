"""An asyncio SQLite connection that runs a statement where it costs least.

A statement and all its rows come back in one call, and the cursor handed to
peewee-async serves them from memory (aiosqlite makes four trips to its thread for one
peewee-async query). Where that call runs:

* **On the event loop's thread (inline)**, by default. A trip to another thread costs
  far more than a short statement: ``sqlite3`` releases the GIL for every row it steps,
  and with a busy loop each step then waits for the GIL (measured: 120 context switches
  for a list of 20 rows, and half the requests/s). Inline, a statement may not wait:
  ``busy_timeout`` is 0 there, so a lock held by another process answers ``SQLITE_BUSY``
  at once, and a read that starts its own unit of work (autocommit, or the first
  statement of a transaction) is interrupted by the progress handler after
  ``inline_budget`` seconds. Such a statement is rolled back (a transaction it began,
  explicitly) and runs again on the thread.
* **On the connection's own thread**, which waits for locks (``busy_timeout``) and
  runs as long as it takes, while the loop goes on. Also every statement of a
  transaction that did not begin ``IMMEDIATE`` (its writes could wait for a lock), and
  all of them with ``inline_budget`` 0.

Writes are never interrupted: an ``INSERT … RETURNING`` interrupted while it hands
back its rows has already committed (autocommit), so running it again would write twice.
They, and the statements inside an ``IMMEDIATE`` transaction, run inline to the end: the
write lock is held, nothing waits, and writes are short by design.

A transaction's ``BEGIN`` travels with its first statement (one call fewer); a
transaction in which nothing ran ends without one.
"""

from __future__ import annotations

import asyncio
import functools
import math
import re
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from queue import SimpleQueue
from typing import Any

INLINE_BUDGET = 0.002  # seconds a statement may take on the loop's thread
_PROGRESS_STEPS = 1000  # virtual-machine instructions between two looks at the clock
_SQLITE_BUSY, _SQLITE_INTERRUPT = 5, 9

_Job = tuple[asyncio.Future[Any], Callable[[], Any]] | None
_Found = tuple[Any, int | None, int, list[Any]]


def _settle(future: asyncio.Future[Any], ok: bool, value: Any) -> None:
    if future.done():  # the waiting task was cancelled
        return
    if ok:
        future.set_result(value)
    else:
        future.set_exception(value)


_BEGIN = ("BEGIN", "BEGIN IMMEDIATE", "BEGIN DEFERRED", "BEGIN EXCLUSIVE")
_LOCKING = ("BEGIN IMMEDIATE", "BEGIN EXCLUSIVE")  # take the write lock at BEGIN
_END = ("COMMIT", "ROLLBACK")
_READ = re.compile(r"\s*(SELECT|VALUES|WITH|EXPLAIN)\b", re.IGNORECASE)
_WRITE = re.compile(r"\b(INSERT|UPDATE|DELETE|REPLACE)\b", re.IGNORECASE)


@functools.lru_cache(maxsize=4096)
def read_only(sql: str) -> bool:
    """Whether ``sql`` only reads (a keyword that may write, even in a literal, says no)."""
    return _READ.match(sql) is not None and _WRITE.search(sql) is None


def _statement(
    conn: sqlite3.Connection, sql: str, params: Sequence[Any], begin: str | None = None
) -> _Found:
    if begin is not None:
        conn.execute(begin)
    cursor = conn.execute(sql, params)
    try:
        rows = cursor.fetchall()
        return cursor.description, cursor.lastrowid, cursor.rowcount, rows
    finally:
        cursor.close()


def _gave_way(exc: sqlite3.OperationalError) -> bool:
    """Whether an inline statement stopped because it may not wait or run on."""
    code = getattr(exc, "sqlite_errorcode", None)
    return code is not None and code & 0xFF in (_SQLITE_BUSY, _SQLITE_INTERRUPT)


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
        found = await connection.statement(sql, params, begin)
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

    def __init__(self, path: str, inline_budget: float = INLINE_BUDGET) -> None:
        self.path = path
        self.inline_budget = inline_budget
        self._conn: sqlite3.Connection | None = None
        self.begin: str | None = None  # a BEGIN held back until the first statement
        self._locked = False  # the open transaction began IMMEDIATE (or EXCLUSIVE)
        self._jobs: SimpleQueue[_Job] = SimpleQueue()
        self._sent = 0  # jobs handed to the thread (written by the loop only)
        self._finished = 0  # jobs it finished (written by the thread only)
        self._busy_timeout = "0"  # the thread's, from the pragmas
        self._inline_mode = False  # busy_timeout 0 and the progress handler are set
        self._deadline = math.inf
        self._thread = threading.Thread(target=self._work, name="maigie-sqlite", daemon=True)

    def _work(self) -> None:
        while (job := self._jobs.get()) is not None:
            future, function = job
            try:
                result, ok = function(), True
            except BaseException as exc:
                result, ok = exc, False
            self._finished += 1
            loop = future.get_loop()
            if not loop.is_closed():
                loop.call_soon_threadsafe(_settle, future, ok, result)

    async def open(self, pragmas: Sequence[tuple[str, str]]) -> SqliteConnection:
        def connect() -> sqlite3.Connection:
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            for name, value in pragmas:
                conn.execute(f"PRAGMA {name}={value}")
            return conn

        self._busy_timeout = dict(pragmas).get("busy_timeout", "0")
        self._thread.start()
        try:
            self._conn = await self._call(connect)
        except BaseException:
            self._jobs.put(None)
            raise
        return self

    def _call(self, function: Callable[[], Any]) -> asyncio.Future[Any]:
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._sent += 1
        self._jobs.put((future, function))
        return future

    def _progress(self) -> bool:
        return time.monotonic() > self._deadline  # True interrupts the statement

    def _mode(self, conn: sqlite3.Connection, inline: bool) -> None:
        if inline != self._inline_mode:
            conn.execute(f"PRAGMA busy_timeout={'0' if inline else self._busy_timeout}")
            conn.set_progress_handler(self._progress if inline else None, _PROGRESS_STEPS)
            self._inline_mode = inline

    def _threaded(
        self, conn: sqlite3.Connection, sql: str, params: Sequence[Any], begin: str | None
    ) -> _Found:
        self._mode(conn, inline=False)
        return _statement(conn, sql, params, begin)

    async def statement(
        self, sql: str, params: Sequence[Any] = (), begin: str | None = None
    ) -> _Found:
        """Run one statement (after ``begin``, when a transaction starts with it)."""
        conn = self._conn
        if conn is None:
            raise sqlite3.ProgrammingError("Cannot operate on a closed database.")
        if begin is not None:
            self._locked = begin in _LOCKING
        own_unit = begin is not None or not conn.in_transaction
        # inline: when enabled, the thread is idle (a cancelled caller may have left a
        # statement running there) and nothing of this statement's can wait for a lock
        if self.inline_budget > 0 and self._sent == self._finished and (own_unit or self._locked):
            self._mode(conn, inline=True)
            bounded = own_unit and read_only(sql)
            self._deadline = time.monotonic() + self.inline_budget if bounded else math.inf
            try:
                return _statement(conn, sql, params, begin)
            except sqlite3.OperationalError as exc:
                if not (own_unit and _gave_way(exc)):
                    raise
                if conn.in_transaction:  # the BEGIN of this call went through
                    conn.execute("ROLLBACK")
            finally:
                self._deadline = math.inf
        found: _Found = await self._call(lambda: self._threaded(conn, sql, params, begin))
        return found

    @property
    def in_transaction(self) -> bool:
        return self.begin is not None or (self._conn is not None and self._conn.in_transaction)

    def cursor(self) -> SqliteCursor:
        return SqliteCursor(self)

    async def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            await self._call(conn.close)
        self._jobs.put(None)
