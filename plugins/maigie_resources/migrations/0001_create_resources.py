"""Resources, their tags, and full-text search on the database's own engine."""

from __future__ import annotations

import uuid

import peewee

from maigie_core.db import utcnow
from maigie_core.db.migrations import MigrationContext


class Resource(peewee.Model):
    id = peewee.UUIDField(primary_key=True, default=uuid.uuid4)
    created_at = peewee.DateTimeField(default=utcnow, index=True)
    updated_at = peewee.DateTimeField(default=utcnow)
    owner_id = peewee.UUIDField()
    shared = peewee.BooleanField(default=False)
    title = peewee.CharField(max_length=300)
    url = peewee.CharField(max_length=2048)
    type = peewee.CharField(max_length=16)
    description = peewee.TextField(default="")
    tags = peewee.TextField(default="[]")
    course_id = peewee.UUIDField(null=True, index=True)
    topic_id = peewee.UUIDField(null=True)

    class Meta:
        table_name = "resources_resource"
        # newest-first pages of a user's own resources, and of the shared ones
        indexes = ((("owner_id", "created_at"), False), (("shared", "created_at"), False))


class ResourceTag(peewee.Model):
    id = peewee.UUIDField(primary_key=True, default=uuid.uuid4)
    created_at = peewee.DateTimeField(default=utcnow, index=True)
    updated_at = peewee.DateTimeField(default=utcnow)
    resource = peewee.ForeignKeyField(
        Resource, column_name="resource_id", on_delete="CASCADE", backref="tag_rows"
    )
    tag = peewee.CharField(max_length=50)

    class Meta:
        table_name = "resources_tag"
        indexes = ((("tag", "resource"), True),)


# Title weighs A, description and tags B (ts_rank's default weights: 1.0 and 0.4).
POSTGRES = [
    """
    ALTER TABLE resources_resource ADD COLUMN search tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english'::regconfig, coalesce(title, '')), 'A') ||
        setweight(to_tsvector('english'::regconfig, coalesce(description, '')), 'B') ||
        setweight(to_tsvector('english'::regconfig, coalesce(tags, '')), 'B')
    ) STORED
    """,
    # fastupdate off: no pending list for every search to scan linearly between vacuums
    "CREATE INDEX resources_resource_search ON resources_resource USING GIN (search)"
    " WITH (fastupdate = off)",
]

# FTS5 rows are keyed by resources_search_doc.doc_id (an INTEGER PRIMARY KEY, stable
# across VACUUM, unlike the implicit rowid of a table keyed by a UUID). resource_id is
# TEXT like peewee's UUID column on SQLite: equal affinities, so joins use the indexes.
SQLITE = [
    """
    CREATE TABLE resources_search_doc (
        doc_id INTEGER PRIMARY KEY,
        resource_id TEXT NOT NULL UNIQUE
    )
    """,
    """
    CREATE VIRTUAL TABLE resources_fts USING fts5(
        title, description, tags, tokenize = 'porter unicode61 remove_diacritics 2'
    )
    """,
    """
    CREATE TRIGGER resources_resource_fts_insert AFTER INSERT ON resources_resource BEGIN
        INSERT INTO resources_search_doc (resource_id) VALUES (new.id);
        INSERT INTO resources_fts (rowid, title, description, tags) VALUES (
            (SELECT doc_id FROM resources_search_doc WHERE resource_id = new.id),
            new.title, new.description, new.tags);
    END
    """,
    """
    CREATE TRIGGER resources_resource_fts_update
    AFTER UPDATE OF title, description, tags ON resources_resource BEGIN
        UPDATE resources_fts
           SET title = new.title, description = new.description, tags = new.tags
         WHERE rowid = (SELECT doc_id FROM resources_search_doc WHERE resource_id = new.id);
    END
    """,
    """
    CREATE TRIGGER resources_resource_fts_delete AFTER DELETE ON resources_resource BEGIN
        DELETE FROM resources_fts
         WHERE rowid = (SELECT doc_id FROM resources_search_doc WHERE resource_id = old.id);
        DELETE FROM resources_search_doc WHERE resource_id = old.id;
    END
    """,
]


def upgrade(ctx: MigrationContext) -> None:
    ctx.create_tables([Resource, ResourceTag])
    for statement in POSTGRES if ctx.is_postgres else SQLITE:
        ctx.sql(statement)
