"""PostgreSQL: a lean connection pool (prepared statements for hot paths: ``prepared.py``).

Measured on the goals list (one indexed statement per request), a request spent more
CPU in the driver stack than in the rest of the app: psycopg_pool's checkout (a
condition variable, ``wait_for`` with a timeout per waiting client) and psycopg's
cursor machinery (a generator driven through a future and a timer per wait) cost
≈ 90 µs per statement in isolation and about twice that under load. Here
:class:`PgPool` hands out idle connections from a list and queues waiters on bare
futures; a connection that comes back broken or not idle (a cancelled request in a
transaction) is closed, never reused. Its connections are plain
``psycopg.AsyncConnection`` objects (peewee-async queries and transactions use them).

A server that stops answering without closing the connection (packets dropped by a
partition, a frozen host or proxy) is bounded twice: :func:`keepalive_options` make the
kernel give up on the socket within about ``network_timeout`` s (TCP keepalives while
waiting for a reply, ``tcp_user_timeout`` while a request is unacknowledged), and a
statement waits at most ``reply_timeout`` s for its reply (the server's own
``statement_timeout`` plus ``network_timeout``), after which its connection is closed:
either way an ``OperationalError``, a 503.
"""

from __future__ import annotations

import asyncio
import logging
import select
from collections import deque
from typing import Any

import psycopg
from psycopg import abc, pq
from psycopg import errors as pg_errors

__all__ = [
    "NoReply",
    "PgConnection",
    "PgPool",
    "PoolTimeout",
    "keepalive_options",
    "reply_timeout_for",
]

log = logging.getLogger("maigie.db")


class PoolTimeout(psycopg.OperationalError):
    """No connection could be had in time (or the pool is closed): a 503, like any
    operational database error."""


class _Refused(psycopg.OperationalError):
    """A new connection failed while others of the pool are open: wait for one of them."""


class NoReply(psycopg.OperationalError):
    """The server did not answer a statement within the connection's ``reply_timeout``."""


def keepalive_options(network_timeout: float) -> dict[str, int]:
    """libpq options failing a connection whose server went silent within ≈ ``network_timeout`` s.

    Without them the kernel notices only after ≈ 15 minutes of retransmissions (data
    unacknowledged) or never (a connection waiting for a reply sends nothing). On Linux
    ``tcp_user_timeout`` also ends unanswered keepalive probes. ``0``: none (kernel defaults).
    """
    if network_timeout <= 0:
        return {}
    whole = max(1, round(network_timeout))
    return {
        "keepalives": 1,
        "keepalives_idle": max(1, whole // 2),
        "keepalives_interval": max(1, whole // 6),
        "keepalives_count": 3,
        "tcp_user_timeout": round(network_timeout * 1000),
    }


def reply_timeout_for(statement_timeout: float, network_timeout: float) -> float | None:
    """How long a statement waits for its reply; None: as long as it takes.

    The server ends a statement after its ``statement_timeout``: no reply well after
    that means the server is gone (a partition, a frozen host).
    """
    if statement_timeout <= 0 or network_timeout <= 0:
        return None
    return statement_timeout + network_timeout


class PgConnection(psycopg.AsyncConnection[Any]):
    """A psycopg connection that remembers which of our statements it has prepared."""

    prepared: set[bytes]
    transformer: abc.Transformer | None
    reply_timeout: float | None  # seconds a statement waits for its reply; None: no limit

    @classmethod
    async def open(
        cls, conninfo: str, reply_timeout: float | None = None, **kwargs: Any
    ) -> PgConnection:
        conn = await cls.connect(
            conninfo, autocommit=True, cursor_factory=psycopg.AsyncClientCursor, **kwargs
        )
        conn.prepared = set()
        conn.transformer = None
        conn.reply_timeout = reply_timeout
        return conn

    async def wait(
        self,
        gen: Any,
        interval: float = 0.1,
        timeout: float | None = None,  # noqa: ASYNC109
    ) -> Any:
        """psycopg's wait (its signature) for every statement, bounded by ``reply_timeout``."""
        try:
            return await super().wait(
                gen, interval, self.reply_timeout if timeout is None else timeout
            )
        except pg_errors._WaitTimeout:  # psycopg's own "no answer in time" (an OperationalError)
            await self.close()  # mid-protocol: never reusable
            raise NoReply(f"the database did not answer within {self.reply_timeout} s") from None


class PgPool:
    """At most ``max_size`` connections of one event loop; ``acquire`` waits ``timeout`` s.

    ``min_size`` connections are opened at start when the server answers (a server that
    is down then makes requests fail with 503 until it is back, not the app's start).
    Connections are opened on demand, so the pool is back as soon as the server is; an
    idle connection the server closed is noticed at checkout (one ``select``) and
    replaced. A failed attempt to open one:

    - with none of ours open, the server is unreachable: every waiting request fails at
      once (503s now, not after ``timeout``);
    - with some open, busy with other requests, the server is there but gives no more
      (``too many clients``, a role's connection limit): the request waits for one of
      ours (up to ``timeout``), as do later ones while others are waiting.
    """

    def __init__(
        self,
        conninfo: str,
        *,
        kwargs: dict[str, Any] | None = None,
        min_size: int = 1,
        max_size: int = 10,
        timeout: float = 5.0,
        reply_timeout: float | None = None,
    ) -> None:
        self.conninfo = conninfo
        self.kwargs = kwargs or {}
        self.reply_timeout = reply_timeout
        self.min_size = min(min_size, max_size)
        self.max_size = max_size
        self.timeout = timeout
        self.idle: list[PgConnection] = []
        self.size = 0  # connections open or being opened, idle or not
        self.opening = 0  # of which being opened
        self.waiters: deque[asyncio.Future[PgConnection | None]] = deque()
        self.closing: set[asyncio.Task[None]] = set()
        self.closed = False

    @property
    def in_use(self) -> int:
        return self.size - len(self.idle)

    async def open(self) -> None:
        while self.size < self.min_size:
            try:
                self.release_nowait(await self._connect())
            except psycopg.OperationalError:
                return

    async def _connect(self) -> PgConnection:
        self.size += 1
        self.opening += 1
        try:
            conn = await PgConnection.open(self.conninfo, self.reply_timeout, **self.kwargs)
        except Exception as exc:
            self.size -= 1
            self.opening -= 1
            if self.size > self.opening:  # some of ours are open: they will come back
                log.warning("PostgreSQL gave no new connection, waiting for the pool's: %s", exc)
                raise _Refused(str(exc)) from exc
            # The server is unreachable: every request waiting for a connection gets its
            # 503 now rather than at the end of the pool timeout.
            error = psycopg.OperationalError(f"the database is unreachable: {exc}")
            while self.waiters:
                waiter = self.waiters.popleft()
                if not waiter.done():
                    waiter.set_exception(error)
            raise error from exc
        except BaseException:
            self.size -= 1
            self.opening -= 1
            self._wake(None)  # cancelled: a waiter may open the connection instead
            raise
        self.opening -= 1
        return conn

    async def acquire(self) -> PgConnection:
        if self.closed:
            raise PoolTimeout("the connection pool is closed")
        deadline: float | None = None
        may_open = True
        while True:
            while self.idle:
                conn = self.idle.pop()
                if not _lost(conn):
                    return conn
                self._discard(conn)  # the server closed it while idle: take or open another
            if deadline is None:
                deadline = asyncio.get_running_loop().time() + self.timeout
                may_open = not self.waiters  # a newcomer queues behind waiting requests
            if may_open and self.size < self.max_size:
                try:
                    return await self._connect()
                except _Refused:
                    may_open = False
                    continue  # one of ours may have come back meanwhile
            given = await self._wait(deadline)
            if given is not None:
                return given
            may_open = True  # one of ours was dropped: room for a new one

    async def _wait(self, deadline: float) -> PgConnection | None:
        """A connection handed back by a request, or ``None``: the right to open one."""
        waiter: asyncio.Future[PgConnection | None] = asyncio.get_running_loop().create_future()
        self.waiters.append(waiter)
        try:
            async with asyncio.timeout_at(deadline):
                return await waiter
        except BaseException as exc:
            if not waiter.done():
                self.waiters.remove(waiter)
            elif not waiter.cancelled() and waiter.exception() is None:
                # Handed a connection (or the right to open one) just as we gave up.
                handed = waiter.result()
                if handed is not None:
                    self.release_nowait(handed)
                else:
                    self._wake(None)
            if isinstance(exc, TimeoutError):
                raise PoolTimeout(f"no connection available after {self.timeout} s") from None
            raise

    def release_nowait(self, conn: PgConnection) -> None:
        if (
            self.closed
            or conn.closed
            or conn.pgconn.status != pq.ConnStatus.OK
            or conn.pgconn.transaction_status != pq.TransactionStatus.IDLE
        ):
            self._discard(conn)
            self._wake(None)  # room for a new connection
        elif not self._wake(conn):
            self.idle.append(conn)

    def _discard(self, conn: PgConnection) -> None:
        self.size -= 1
        if not conn.closed:
            closing = asyncio.get_running_loop().create_task(conn.close())
            self.closing.add(closing)  # keep a reference until it is done
            closing.add_done_callback(self.closing.discard)

    def _wake(self, conn: PgConnection | None) -> bool:
        """Hand ``conn`` (or, with ``None``, the right to open one) to the first waiter."""
        while self.waiters:
            waiter = self.waiters.popleft()
            if not waiter.done():
                waiter.set_result(conn)
                return True
        return False

    async def close(self) -> None:
        self.closed = True
        idle, self.idle = self.idle, []
        self.size -= len(idle)
        for conn in idle:
            await conn.close()
        for waiter in self.waiters:
            if not waiter.done():
                waiter.set_exception(PoolTimeout("the connection pool is closed"))
        self.waiters.clear()
        if self.closing:
            await asyncio.gather(*self.closing, return_exceptions=True)


def _lost(conn: PgConnection) -> bool:
    """An idle connection the server closed (restart, ``pg_terminate_backend``, network).

    An idle autocommit connection has nothing to read; readable means the server sent
    its goodbye (or the socket hit EOF). One ``select`` call, no round trip.
    """
    if conn.closed:
        return True
    try:
        readable, _, _ = select.select([conn.pgconn.socket], [], [], 0)
    except (OSError, ValueError, psycopg.OperationalError):
        return True
    return bool(readable)
