"""The resources plugin's tables: a resource, and its tags (for exact tag filters).

Full-text search lives beside them, created by the migrations for each engine: a
``search`` tsvector column (generated, GIN-indexed) on PostgreSQL; an FTS5 table
``resources_fts`` kept in step by triggers on SQLite.
"""

from __future__ import annotations

import peewee

from maigie_core import Model

RESOURCE_TYPES = ("article", "video", "book", "course", "exercise", "other")


class Resource(Model):
    """A learning resource: private to its owner, or shared with everyone by an admin."""

    owner_id = peewee.UUIDField()
    shared = peewee.BooleanField(default=False)
    title = peewee.CharField(max_length=300)
    url = peewee.CharField(max_length=2048)
    type = peewee.CharField(max_length=16)
    description = peewee.TextField(default="")
    tags = peewee.TextField(default="[]")  # a JSON list; resources_tag indexes it
    course_id = peewee.UUIDField(null=True, index=True)
    topic_id = peewee.UUIDField(null=True)

    class Meta:
        table_name = "resources_resource"
        indexes = ((("owner_id", "created_at"), False), (("shared", "created_at"), False))


class ResourceTag(Model):
    """One tag of one resource: what ``?tag=`` looks up."""

    resource = peewee.ForeignKeyField(
        Resource, column_name="resource_id", on_delete="CASCADE", backref="tag_rows"
    )
    tag = peewee.CharField(max_length=50)

    class Meta:
        table_name = "resources_tag"
        indexes = ((("tag", "resource"), True),)
