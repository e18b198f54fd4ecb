"""The stored notification (table ``maigie_notification``, core migration 0020)."""

from __future__ import annotations

import json
from typing import Any

import peewee

from maigie_core.db import Model
from maigie_core.responses import rfc3339


class Notification(Model):
    user_id = peewee.UUIDField()
    kind = peewee.CharField(max_length=64)
    title = peewee.CharField(max_length=200)
    body = peewee.TextField(default="")
    data = peewee.TextField(default="{}")
    read_at = peewee.DateTimeField(null=True)

    class Meta:
        table_name = "maigie_notification"

    def as_json(self) -> dict[str, Any]:
        """The notification as the REST API and the ``notification.*`` events show it."""
        return {
            "id": str(self.id),
            "kind": self.kind,
            "title": self.title,
            "body": self.body,
            "data": json.loads(self.data or "{}"),
            "read": self.read_at is not None,
            "read_at": rfc3339(self.read_at) if self.read_at else None,
            "created_at": rfc3339(self.created_at),
            "updated_at": rfc3339(self.updated_at),
        }
