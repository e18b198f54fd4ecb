"""Operator-chosen enabled/disabled state of each plugin, one row per plugin."""

import peewee

from maigie_core.db import utcnow
from maigie_core.db.migrations import MigrationContext


class PluginState(peewee.Model):
    name = peewee.CharField(max_length=100, primary_key=True)
    enabled = peewee.BooleanField()
    changed_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        table_name = "maigie_plugin_state"


def upgrade(ctx: MigrationContext) -> None:
    ctx.create_tables([PluginState])
