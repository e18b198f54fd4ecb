"""The data layer: peewee models with async access through peewee-async.

One code path for SQLite (the embedded default, a file in ``MAIGIE_DATA_DIR``) and
PostgreSQL (``DATABASE_URL=postgresql://…``, pooled by ``postgres.PgPool``). Models
subclass :class:`Model`; they are bound to the process's database when an app is created.

Use ``async with transaction():`` for writes: it nests (savepoints) and delivers the
domain events emitted inside it only after the outermost commit.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import peewee
import peewee_async
from peewee_async.pool import PoolBackend
from psycopg.conninfo import conninfo_to_dict

from maigie_core import events
from maigie_core.db.postgres import PgPool, keepalive_options, reply_timeout_for
from maigie_core.db.prepared import execute_prepared
from maigie_core.db.sqlite import SqliteDatabase, in_transaction
from maigie_core.db.sqlite_connection import INLINE_BUDGET

__all__ = [
    "Database",
    "Model",
    "bind_thread",
    "connect_database",
    "database",
    "in_transaction",
    "transaction",
    "utcnow",
]


_SHARED_SLOT: Any = peewee.DatabaseProxy.__dict__["obj"]  # the proxy's process-wide target


class ThreadBoundProxy(peewee.DatabaseProxy):
    """The process's database, unless the current thread bound its own (``bind_thread``).

    A peewee-async database (its pool) belongs to one event loop; a task worker thread
    runs its own loop, so it binds its own database object for the models it touches.
    """

    __slots__ = ("_thread",)

    def __init__(self) -> None:
        object.__setattr__(self, "_thread", threading.local())
        super().__init__()

    @property
    def obj(self) -> Any:
        own = getattr(self._thread, "db", None)
        return own if own is not None else _SHARED_SLOT.__get__(self)

    @obj.setter
    def obj(self, value: Any) -> None:
        _SHARED_SLOT.__set__(self, value)

    def __setattr__(self, attr: str, value: Any) -> None:
        object.__setattr__(self, attr, value)


#: The process-wide proxy every model is bound to; ``connect_database`` initialises it.
database = ThreadBoundProxy()


@contextmanager
def bind_thread(db: Database) -> Iterator[None]:
    """Within the block, models used by *this thread* go to ``db`` (a task worker's own)."""
    local = database._thread
    previous = getattr(local, "db", None)
    local.db = db
    try:
        yield
    finally:
        local.db = previous


def utcnow() -> datetime:
    """Naive UTC now: what every timestamp column stores."""
    return datetime.now(UTC).replace(tzinfo=None)


class Model(peewee_async.AioModel):  # type: ignore[misc]
    """Base of every Maigie model: UUID primary key, created/updated timestamps."""

    id = peewee.UUIDField(primary_key=True, default=uuid.uuid4)
    created_at = peewee.DateTimeField(default=utcnow, index=True)
    updated_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        database = database
        legacy_table_names = False


class PostgresPoolBackend(PoolBackend):  # type: ignore[misc]
    """The lean pool of ``postgres.py`` from a plain connection URL.

    A checked-out connection the server already closed is replaced instead of failing
    a request (one ``select`` call, no round trip). A request waits at most
    ``DATABASE_POOL_TIMEOUT`` for a connection, and only until the next failed attempt
    to connect while the server is unreachable: either way an ``OperationalError`` (a
    503 envelope). Connections are opened on demand, so the pool is back as soon as the
    server is.
    """

    required_modules = ["psycopg"]

    async def create(self) -> None:
        params = self.connect_params
        network_timeout = params.get("network_timeout", 0)
        kwargs: dict[str, Any] = {
            "connect_timeout": max(1, round(params.get("connect_timeout", 3))),
            **keepalive_options(network_timeout),
        }
        if params.get("statement_timeout"):  # a query stuck on a lock ends as a 503
            own = conninfo_to_dict(params["conninfo"]).get("options") or ""
            limit = f"-c statement_timeout={round(params['statement_timeout'] * 1000)}"
            kwargs["options"] = f"{own} {limit}".strip()
        pool = PgPool(
            params["conninfo"],
            kwargs=kwargs,
            min_size=params.get("min_size", 1),
            max_size=params.get("max_size", 10),
            timeout=params.get("timeout", 5),
            reply_timeout=reply_timeout_for(params.get("statement_timeout", 0), network_timeout),
        )
        await pool.open()
        self.pool = pool

    async def acquire(self) -> Any:
        if self.pool is None:
            await self.connect()
        return await self.pool.acquire()

    async def release(self, conn: Any) -> None:
        self.pool.release_nowait(conn)

    def has_acquired_connections(self) -> bool:
        return self.pool is not None and self.pool.in_use > 0

    async def close(self) -> None:
        if self.pool is not None:
            await self.pool.close()


class PostgresDatabase(peewee_async.Psycopg3Database):  # type: ignore[misc]
    pool_backend_cls = PostgresPoolBackend

    async def aio_execute_prepared(
        self, sql: str, params: Sequence[Any] = (), fetch: str | None = None
    ) -> Any:
        """One hot statement, prepared on its connection (see ``postgres.py``).

        ``sql`` uses ``%s`` placeholders; ``fetch`` is ``"one"``, ``"all"`` or ``None``.
        Runs on the task's current connection (a transaction's) or checks one out.
        """
        with peewee.__exception_wrapper__:  # type: ignore[attr-defined]
            async with self.aio_connection() as connection:
                return await execute_prepared(connection, sql, params, fetch)


Database = SqliteDatabase | PostgresDatabase


def open_database(
    url: str,
    pool_min: int = 1,
    pool_max: int = 10,
    *,
    pool_timeout: float = 5.0,
    connect_timeout: float = 3.0,
    statement_timeout: float = 0,
    network_timeout: float = 0,
    sqlite_inline_budget: float = INLINE_BUDGET,
) -> Database:
    """Create (not connect) the database for ``url``: ``sqlite:///path`` or ``postgresql://``.

    SQLite: a statement runs on the event loop's thread for at most
    ``sqlite_inline_budget`` seconds, then on its connection's thread (0: always there).

    PostgreSQL: a request waits at most ``pool_timeout`` seconds for a pooled
    connection, a new connection at most ``connect_timeout`` (whole seconds, >= 1), a
    statement of the pool at most ``statement_timeout`` (0: no limit); a connection
    whose server went silent fails within about ``network_timeout`` (0: the kernel's
    defaults), a statement's reply is awaited ``statement_timeout + network_timeout``.
    """
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        path = url[len("sqlite:///") :]
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        pool = {"max_size": max(pool_max, 2), "inline_budget": sqlite_inline_budget}
        db: Database = SqliteDatabase(path, pool_params=pool)
        with db.allow_sync():
            db.execute_sql("PRAGMA journal_mode=WAL")
        return db
    if parts.scheme in ("postgresql", "postgres"):
        conninfo = url.replace("postgres://", "postgresql://", 1)
        return PostgresDatabase(
            unquote(parts.path.lstrip("/")),
            host=parts.hostname or "localhost",
            port=parts.port or 5432,
            user=unquote(parts.username or "") or None,
            password=unquote(parts.password or "") or None,
            connect_timeout=max(1, round(connect_timeout)),
            **keepalive_options(network_timeout),
            pool_params={
                "conninfo": conninfo,
                "min_size": pool_min,
                "max_size": pool_max,
                "timeout": pool_timeout,
                "connect_timeout": connect_timeout,
                "statement_timeout": statement_timeout,
                "network_timeout": network_timeout,
            },
        )
    raise ValueError(f"DATABASE_URL must start with sqlite:/// or postgresql://, not {url!r}")


def connect_database(
    url: str, pool_min: int = 1, pool_max: int = 10, **timeouts: float
) -> Database:
    """Open the database for ``url`` and bind every model to it (process-wide)."""
    db = open_database(url, pool_min, pool_max, **timeouts)
    database.initialize(db)
    return db


def is_postgres(db: peewee.Database) -> bool:
    return isinstance(db, peewee.PostgresqlDatabase)


@asynccontextmanager
async def transaction() -> AsyncIterator[None]:
    """A transaction (a savepoint when nested) whose events go out after commit."""
    outer, inner, token = events.begin_buffer()
    try:
        async with database.aio_atomic():
            yield
    finally:
        events.end_buffer(token)
    # Committed (an exception above skips this): hand events up, or deliver them.
    if outer is not None:
        outer.extend(inner)
    elif inner:
        from quart import current_app

        await current_app.extensions["maigie"].events.publish(inner)
