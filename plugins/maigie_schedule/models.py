"""The schedule's tables: time blocks, reminders and each user's calendar-feed version.

Every timestamp is stored as naive UTC (the core's convention); a block also keeps the
IANA zone its recurrence is anchored in, so its occurrences keep their wall-clock time.
"""

from __future__ import annotations

import peewee

from maigie_core import Model


class Block(Model):
    """A time block: one occurrence, or a series when ``rrule`` is set."""

    owner_id = peewee.UUIDField()
    title = peewee.CharField(max_length=200)
    notes = peewee.TextField(default="")
    start_at = peewee.DateTimeField()  # first occurrence, UTC
    end_at = peewee.DateTimeField()
    timezone = peewee.CharField(max_length=64)  # where the wall-clock time is kept
    rrule = peewee.CharField(max_length=500, null=True)
    exdates = peewee.TextField(default="[]")  # JSON: skipped occurrence starts, UTC RFC 3339
    last_end_at = peewee.DateTimeField(null=True)  # end of the last occurrence; NULL = open
    course_id = peewee.UUIDField(null=True)
    goal_id = peewee.UUIDField(null=True)

    class Meta:
        table_name = "schedule_block"
        indexes = ((("owner_id", "start_at"), False),)


class Reminder(Model):
    """A notification due at ``remind_at``; ``delivered_at`` is set exactly once."""

    owner_id = peewee.UUIDField()
    message = peewee.CharField(max_length=500)
    remind_at = peewee.DateTimeField()
    block_id = peewee.UUIDField(null=True, index=True)
    minutes_before = peewee.IntegerField(null=True)
    delivered_at = peewee.DateTimeField(null=True)

    class Meta:
        table_name = "schedule_reminder"
        indexes = (
            (("owner_id", "remind_at"), False),
            (("delivered_at", "remind_at"), False),
        )


class Feed(Model):
    """The version signed into a user's feed URL; rotating bumps it, old URLs die."""

    owner_id = peewee.UUIDField(unique=True)
    version = peewee.IntegerField(default=1)

    class Meta:
        table_name = "schedule_feed"
