"""Background tasks: failed tasks kept after their last retry, and live worker heartbeats."""

import uuid

import peewee

from maigie_core.db import utcnow
from maigie_core.db.migrations import MigrationContext


class FailedTask(peewee.Model):
    id = peewee.UUIDField(primary_key=True, default=uuid.uuid4)
    created_at = peewee.DateTimeField(default=utcnow, index=True)
    updated_at = peewee.DateTimeField(default=utcnow)
    task_name = peewee.CharField(max_length=200, index=True)
    task_id = peewee.CharField(max_length=64)
    args = peewee.TextField()
    kwargs = peewee.TextField()
    exception = peewee.TextField()
    traceback = peewee.TextField()
    attempts = peewee.IntegerField()
    failed_at = peewee.DateTimeField(index=True)
    retried_at = peewee.DateTimeField(null=True)
    retry_task_id = peewee.CharField(max_length=64, null=True)

    class Meta:
        table_name = "maigie_failed_task"


class TaskWorker(peewee.Model):
    id = peewee.UUIDField(primary_key=True, default=uuid.uuid4)
    created_at = peewee.DateTimeField(default=utcnow, index=True)
    updated_at = peewee.DateTimeField(default=utcnow)
    host = peewee.CharField(max_length=255)
    pid = peewee.IntegerField()
    threads = peewee.IntegerField()
    periodic = peewee.BooleanField()
    embedded = peewee.BooleanField()
    seen_at = peewee.DateTimeField(index=True)

    class Meta:
        table_name = "maigie_task_worker"


def upgrade(ctx: MigrationContext) -> None:
    ctx.create_tables([FailedTask, TaskWorker])
