"""Usage counters on the database (used when Redis is not configured)."""

from __future__ import annotations

import peewee
import peewee_async

from maigie_core.db import database


class UsageCounter(peewee_async.AioModel):  # type: ignore[misc]
    """Uses of ``limit_name`` by ``user_id`` in ``period`` (``2026-11``, ``2026-11-05``)."""

    user_id = peewee.UUIDField()
    limit_name = peewee.CharField(max_length=100)
    period = peewee.CharField(max_length=16)
    used = peewee.IntegerField(default=0)

    class Meta:
        database = database
        table_name = "maigie_usage_counter"
        primary_key = peewee.CompositeKey("user_id", "limit_name", "period")
