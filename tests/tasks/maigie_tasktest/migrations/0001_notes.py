import uuid

import peewee

from maigie_core.db import utcnow
from maigie_core.db.migrations import MigrationContext


class TaskNote(peewee.Model):
    id = peewee.UUIDField(primary_key=True, default=uuid.uuid4)
    created_at = peewee.DateTimeField(default=utcnow, index=True)
    updated_at = peewee.DateTimeField(default=utcnow)
    key = peewee.CharField(max_length=200, index=True)
    value = peewee.TextField()

    class Meta:
        table_name = "tasktest_note"


def upgrade(ctx: MigrationContext) -> None:
    ctx.create_tables([TaskNote])
