"""Blocks, reminders and feed versions, as they are at this migration (frozen copies)."""

import peewee

from maigie_core.db.migrations import MigrationContext


class Block(peewee.Model):
    id = peewee.UUIDField(primary_key=True)
    owner_id = peewee.UUIDField()
    title = peewee.CharField(max_length=200)
    notes = peewee.TextField(default="")
    start_at = peewee.DateTimeField()
    end_at = peewee.DateTimeField()
    timezone = peewee.CharField(max_length=64)
    rrule = peewee.CharField(max_length=500, null=True)
    exdates = peewee.TextField(default="[]")
    last_end_at = peewee.DateTimeField(null=True)
    course_id = peewee.UUIDField(null=True)
    goal_id = peewee.UUIDField(null=True)
    created_at = peewee.DateTimeField(index=True)
    updated_at = peewee.DateTimeField()

    class Meta:
        table_name = "schedule_block"
        indexes = ((("owner_id", "start_at"), False),)


class Reminder(peewee.Model):
    id = peewee.UUIDField(primary_key=True)
    owner_id = peewee.UUIDField()
    message = peewee.CharField(max_length=500)
    remind_at = peewee.DateTimeField()
    block_id = peewee.UUIDField(null=True, index=True)
    minutes_before = peewee.IntegerField(null=True)
    delivered_at = peewee.DateTimeField(null=True)
    created_at = peewee.DateTimeField(index=True)
    updated_at = peewee.DateTimeField()

    class Meta:
        table_name = "schedule_reminder"
        indexes = (
            (("owner_id", "remind_at"), False),
            (("delivered_at", "remind_at"), False),
        )


class Feed(peewee.Model):
    id = peewee.UUIDField(primary_key=True)
    owner_id = peewee.UUIDField(unique=True)
    version = peewee.IntegerField(default=1)
    created_at = peewee.DateTimeField(index=True)
    updated_at = peewee.DateTimeField()

    class Meta:
        table_name = "schedule_feed"


def upgrade(ctx: MigrationContext) -> None:
    ctx.create_tables([Block, Reminder, Feed])
