"""Schema migrations per owner (the core, each plugin), tracked in one table.

An owner's migrations are the modules ``NNNN_description.py`` of one package, each
with ``def upgrade(ctx: MigrationContext) -> None``. A migration declares the models
it needs as they are *at that point* (frozen copies, not the live model classes), so
an old migration never changes meaning when a model grows a column later.

Migrations run synchronously, before the server starts serving, each in its own
transaction; on PostgreSQL an advisory lock keeps two processes from racing.
"""

from __future__ import annotations

import importlib
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

import peewee
from playhouse.migrate import SchemaMigrator, migrate

from maigie_core.db import Database, is_postgres, utcnow
from maigie_core.hookspecs import Migrations

log = logging.getLogger("maigie.migrations")

MIGRATION_NAME = re.compile(r"^(\d{4})_\w+\.py$")
LOCK_ID = 0x6D616967  # "maig"


class MigrationError(Exception):
    """A migration could not be applied; names the owner and the migration."""


class AppliedMigration(peewee.Model):
    owner = peewee.CharField(max_length=100)
    name = peewee.CharField(max_length=200)
    applied_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        table_name = "maigie_migrations"
        primary_key = peewee.CompositeKey("owner", "name")


@dataclass
class MigrationContext:
    """What a migration's ``upgrade(ctx)`` works with."""

    db: Database
    owner: str

    @property
    def migrator(self) -> SchemaMigrator:
        return SchemaMigrator.from_database(self.db)

    @property
    def is_postgres(self) -> bool:
        return is_postgres(self.db)

    def create_tables(self, models: Sequence[type[peewee.Model]]) -> None:
        """Create the tables (and indexes) of frozen model copies."""
        self.db.bind(models, bind_refs=False, bind_backrefs=False)
        self.db.create_tables(models, safe=False)

    def drop_tables(self, models: Sequence[type[peewee.Model]]) -> None:
        self.db.bind(models, bind_refs=False, bind_backrefs=False)
        self.db.drop_tables(models, safe=True)

    def run(self, *operations: Any) -> None:
        """Run ``playhouse.migrate`` operations built from ``ctx.migrator``."""
        migrate(*operations)

    def sql(self, statement: str, params: Sequence[Any] = ()) -> None:
        self.db.execute_sql(statement, params)


def discover(source: Migrations) -> list[str]:
    """The migration module names of ``source``, in the order they apply."""
    try:
        files = resources.files(source.package)
    except ModuleNotFoundError as exc:
        raise MigrationError(
            f"{source.owner}: migrations package {source.package!r}: {exc}"
        ) from None
    names = [f.name for f in files.iterdir() if MIGRATION_NAME.match(f.name)]
    return sorted(name[:-3] for name in names)


def applied(db: Database) -> set[tuple[str, str]]:
    """(owner, name) of every applied migration; empty if none ever ran."""
    with db.allow_sync():
        if not db.table_exists(AppliedMigration._meta.table_name):
            return set()
        with AppliedMigration.bind_ctx(db):
            return {(row.owner, row.name) for row in AppliedMigration.select()}


def pending(db: Database, sources: Iterable[Migrations]) -> list[tuple[str, str]]:
    """(owner, name) of every migration not applied yet, in order."""
    done = applied(db)
    return [
        (source.owner, name)
        for source in sources
        for name in discover(source)
        if (source.owner, name) not in done
    ]


def apply_migrations(db: Database, sources: Sequence[Migrations]) -> list[tuple[str, str]]:
    """Apply every pending migration of ``sources`` in order; returns what ran."""
    owners = [s.owner for s in sources]
    if len(set(owners)) != len(owners):
        raise MigrationError(f"two migration sources share an owner name: {owners}")
    ran: list[tuple[str, str]] = []
    with db.allow_sync():
        if is_postgres(db):
            db.execute_sql("SELECT pg_advisory_lock(%s)", (LOCK_ID,))
        try:
            with AppliedMigration.bind_ctx(db):
                db.create_tables([AppliedMigration], safe=True)
                done = {(r.owner, r.name) for r in AppliedMigration.select()}
                for source in sources:
                    for name in discover(source):
                        if (source.owner, name) in done:
                            continue
                        _apply_one(db, source, name)
                        ran.append((source.owner, name))
        finally:
            if is_postgres(db):
                db.execute_sql("SELECT pg_advisory_unlock(%s)", (LOCK_ID,))
    return ran


def _apply_one(db: Database, source: Migrations, name: str) -> None:
    module = importlib.import_module(f"{source.package}.{name}")
    upgrade = getattr(module, "upgrade", None)
    if not callable(upgrade):
        raise MigrationError(f"{source.owner}/{name}: no upgrade(ctx) function")
    log.info("applying migration %s/%s", source.owner, name)
    try:
        with db.atomic():
            upgrade(MigrationContext(db=db, owner=source.owner))
            AppliedMigration.create(owner=source.owner, name=name)
    except Exception as exc:
        raise MigrationError(f"{source.owner}/{name} failed: {exc}") from exc
