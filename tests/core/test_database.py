"""The data layer: concurrent transactions, savepoints, migrations tracked per owner."""

from __future__ import annotations

import asyncio

import pytest

from maigie_core import in_transaction, transaction
from maigie_core.db import database
from maigie_core.db.migrations import MigrationError, applied, apply_migrations, pending
from maigie_core.hookspecs import Migrations
from maigie_core.runtime import runtime


async def _count() -> int:
    row = await database.aio_execute_sql(
        "SELECT COUNT(*) FROM maigie_plugin_state", fetch_results=lambda db, c: c.fetchone()
    )
    return int(row[0])


async def test_concurrent_read_then_write_transactions_all_commit(app) -> None:
    async def read_then_write(i: int) -> None:
        async with transaction():
            await _count()
            await asyncio.sleep(0.005)
            await database.aio_execute_sql(
                "INSERT INTO maigie_plugin_state (name, enabled, changed_at) "
                "VALUES (%s, TRUE, '2026-01-01')".replace("%s", _param(app)),
                (f"p{i}",),
            )

    results = await asyncio.gather(*(read_then_write(i) for i in range(25)), return_exceptions=True)
    assert [r for r in results if r is not None] == []
    assert await _count() == 25


def _param(app) -> str:
    return "%s" if runtime(app).settings.database_url.startswith("postgres") else "?"


async def test_failed_savepoint_keeps_the_outer_transaction(app) -> None:
    insert = (
        "INSERT INTO maigie_plugin_state (name, enabled, changed_at) "
        f"VALUES ({_param(app)}, TRUE, '2026-01-01')"
    )
    async with transaction():
        await database.aio_execute_sql(insert, ("kept",))
        with pytest.raises(RuntimeError):
            async with transaction():
                await database.aio_execute_sql(insert, ("dropped",))
                raise RuntimeError
    assert await _count() == 1


async def test_in_transaction_says_whether_a_transaction_surrounds_the_caller(app) -> None:
    assert not in_transaction()
    async with transaction():
        assert in_transaction()
        async with transaction():  # a savepoint
            assert in_transaction()
        assert in_transaction()
    assert not in_transaction()


def test_migrations_are_tracked_per_owner_and_applied_once(make_app) -> None:
    app = make_app()
    db = runtime(app).db
    assert ("core", "0001_plugin_state") in applied(db)
    assert pending(db, runtime(app).migrations) == []
    assert apply_migrations(db, runtime(app).migrations) == []


def test_two_sources_with_one_owner_are_refused(make_app) -> None:
    db = runtime(make_app()).db
    twice = [Migrations("core", "maigie_core.migrations")] * 2
    with pytest.raises(MigrationError, match="share an owner"):
        apply_migrations(db, twice)


def test_missing_migrations_package_names_the_owner(make_app) -> None:
    db = runtime(make_app()).db
    with pytest.raises(MigrationError, match="ghost: migrations package 'no_such_pkg'"):
        apply_migrations(db, [Migrations("ghost", "no_such_pkg")])
