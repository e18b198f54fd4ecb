"""Tier usage counters per user, limit and period (the database backend)."""

import peewee

from maigie_core.db.migrations import MigrationContext


class UsageCounter(peewee.Model):
    user_id = peewee.UUIDField()
    limit_name = peewee.CharField(max_length=100)
    period = peewee.CharField(max_length=16)
    used = peewee.IntegerField(default=0)

    class Meta:
        table_name = "maigie_usage_counter"
        primary_key = peewee.CompositeKey("user_id", "limit_name", "period")


def upgrade(ctx: MigrationContext) -> None:
    ctx.create_tables([UsageCounter])
