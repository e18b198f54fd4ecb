"""Notifications: what the core and plugins tell a user, listed newest first."""

import uuid

import peewee

from maigie_core.db import utcnow
from maigie_core.db.migrations import MigrationContext


class Notification(peewee.Model):
    id = peewee.UUIDField(primary_key=True, default=uuid.uuid4)
    created_at = peewee.DateTimeField(default=utcnow)
    updated_at = peewee.DateTimeField(default=utcnow)
    user_id = peewee.UUIDField()
    kind = peewee.CharField(max_length=64)
    title = peewee.CharField(max_length=200)
    body = peewee.TextField(default="")
    data = peewee.TextField(default="{}")
    read_at = peewee.DateTimeField(null=True)

    class Meta:
        table_name = "maigie_notification"
        indexes = ((("user_id", "created_at", "id"), False),)


def upgrade(ctx: MigrationContext) -> None:
    ctx.create_tables([Notification])
