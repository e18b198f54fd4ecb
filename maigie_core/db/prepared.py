"""Prepared statements for hot paths, sent through libpq on a pooled connection.

:func:`execute_prepared` runs one statement on a checked-out connection through libpq
directly: prepared once per connection under a name of ours, parameters dumped as text
by psycopg's own adapters (the server infers their types, as when the statement is
prepared), rows loaded by psycopg's C loaders; ≈ 30 µs, where psycopg's cursor
machinery (a generator driven through a future and a timer per wait) cost ≈ 90 µs.
Errors are psycopg's (``peewee.__exception_wrapper__`` maps them as for any other
statement); a reply not back within the connection's ``reply_timeout`` closes it
(:class:`~maigie_core.db.postgres.NoReply`).
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from collections.abc import Sequence
from typing import Any

import psycopg
from psycopg import errors as pg_errors
from psycopg import pq
from psycopg.adapt import PyFormat, Transformer

from maigie_core.db.postgres import NoReply, PgConnection

__all__ = ["execute_prepared"]

_OK = (pq.ExecStatus.TUPLES_OK, pq.ExecStatus.COMMAND_OK)
_PLACEHOLDER = re.compile(r"%[s%]")
# sql text -> (statement name, the text with $n placeholders, number of parameters)
_STATEMENTS: dict[str, tuple[bytes, bytes, int]] = {}


def _statement(sql: str) -> tuple[bytes, bytes, int]:
    found = _STATEMENTS.get(sql)
    if found is None:
        count = 0

        def number(match: re.Match[str]) -> str:
            nonlocal count
            if match.group() == "%%":
                return "%"
            count += 1
            return f"${count}"

        text = _PLACEHOLDER.sub(number, sql)
        # Named after the text itself: the same name in every thread and process.
        name = "maigie_" + hashlib.blake2b(sql.encode(), digest_size=12).hexdigest()
        found = _STATEMENTS[sql] = (name.encode(), text.encode(), count)
    return found


async def _wait_socket(conn: PgConnection, deadline: float | None, *, flush: bool) -> None:
    """Until the pending flush (``flush``) or result completes, as the socket allows.

    Past ``deadline`` (loop time) the server is taken for gone: :class:`NoReply`.
    """
    loop = asyncio.get_running_loop()
    pgconn = conn.pgconn
    done: asyncio.Future[None] = loop.create_future()
    fd = pgconn.socket

    def ready() -> None:
        if done.done():
            return
        try:
            if flush:
                finished = not pgconn.flush()
            else:
                pgconn.consume_input()
                finished = not pgconn.is_busy()
        except psycopg.OperationalError as exc:  # the connection broke
            done.set_exception(exc)
            return
        if finished:
            done.set_result(None)

    def expired() -> None:
        if not done.done():
            done.set_exception(
                NoReply(f"the database did not answer within {conn.reply_timeout} s")
            )

    if flush:
        loop.add_writer(fd, ready)
    else:
        loop.add_reader(fd, ready)
    timer = None if deadline is None else loop.call_at(deadline, expired)
    try:
        await done
    finally:
        if flush:
            loop.remove_writer(fd)
        else:
            loop.remove_reader(fd)
        if timer is not None:
            timer.cancel()


async def _result(conn: PgConnection) -> pq.abc.PGresult:
    """Flush what was sent and collect the statement's result (raising its error)."""
    pgconn = conn.pgconn
    limit = conn.reply_timeout
    deadline = None if limit is None else asyncio.get_running_loop().time() + limit
    final: pq.abc.PGresult | None = None
    try:
        if pgconn.flush():  # a statement larger than the socket buffer: send it as it drains
            await _wait_socket(conn, deadline, flush=True)
        while True:
            if pgconn.is_busy():
                await _wait_socket(conn, deadline, flush=False)
            result = pgconn.get_result()
            if result is None:
                break
            if final is None or final.status in _OK:
                final = result
    except NoReply:
        await conn.close()  # mid-protocol: never reusable
        raise
    if final is None:
        raise psycopg.OperationalError("the server returned no result")
    if final.status not in _OK:
        error = pg_errors.error_from_result(final, encoding=conn.info.encoding)
        if isinstance(error, pg_errors.FeatureNotSupported):
            # "cached plan must not change result type" (the schema changed under a
            # prepared statement): this connection's statements are stale, drop it.
            await conn.close()
        raise error
    return final


async def execute_prepared(
    conn: PgConnection, sql: str, params: Sequence[Any], fetch: str | None
) -> Any:
    """Run ``sql`` (``%s`` placeholders) on ``conn``; ``fetch``: ``"one"``, ``"all"``, None.

    The connection must not be used by anything else meanwhile (it is checked out).
    """
    name, text, count = _statement(sql)
    if len(params) != count:
        raise psycopg.ProgrammingError(f"the statement takes {count} parameters, not {len(params)}")
    pgconn = conn.pgconn
    if name not in conn.prepared:
        pgconn.send_prepare(name, text)
        await _result(conn)
        conn.prepared.add(name)
    tx = conn.transformer
    if tx is None:
        tx = conn.transformer = Transformer(conn)
    values = tx.dump_sequence(params, [PyFormat.TEXT] * count) if count else None
    pgconn.send_query_prepared(name, values)
    result = await _result(conn)
    if fetch is None:
        return None
    tx.set_pgresult(result)
    if fetch == "one":
        return tx.load_row(0, tuple) if result.ntuples else None
    return tx.load_rows(0, result.ntuples, tuple)
