"""SQLite: who may see a resource, and its type, next to its full-text row.

A search first ranks the FTS5 matches the user may see. Visibility (owner, shared) and
the type filter were read from ``resources_resource`` — a random lookup by UUID of a
wide row for every match, 5,000 of them for a term in half of 10,000 resources. They
are now copied into ``resources_search_doc`` (keyed by the FTS rowid, narrow rows), kept
by triggers, so ranking touches no resource row until the page's own. On an existing
database the columns are added and filled from the resources; the FTS index itself is
unchanged. PostgreSQL: nothing to do (its ``search`` column is on the row).
"""

from __future__ import annotations

from maigie_core.db.migrations import MigrationContext

SQLITE = [
    "ALTER TABLE resources_search_doc ADD COLUMN owner_id TEXT",
    "ALTER TABLE resources_search_doc ADD COLUMN shared INTEGER NOT NULL DEFAULT 0",
    "ALTER TABLE resources_search_doc ADD COLUMN type TEXT",
    """
    UPDATE resources_search_doc SET (owner_id, shared, type) = (
        SELECT r.owner_id, r.shared, r.type FROM resources_resource r
         WHERE r.id = resources_search_doc.resource_id)
    """,
    "DROP TRIGGER resources_resource_fts_insert",
    """
    CREATE TRIGGER resources_resource_fts_insert AFTER INSERT ON resources_resource BEGIN
        INSERT INTO resources_search_doc (resource_id, owner_id, shared, type)
        VALUES (new.id, new.owner_id, new.shared, new.type);
        INSERT INTO resources_fts (rowid, title, description, tags) VALUES (
            (SELECT doc_id FROM resources_search_doc WHERE resource_id = new.id),
            new.title, new.description, new.tags);
    END
    """,
    """
    CREATE TRIGGER resources_resource_search_doc_update
    AFTER UPDATE OF owner_id, shared, type ON resources_resource BEGIN
        UPDATE resources_search_doc
           SET owner_id = new.owner_id, shared = new.shared, type = new.type
         WHERE resource_id = new.id;
    END
    """,
]


def upgrade(ctx: MigrationContext) -> None:
    if not ctx.is_postgres:
        for statement in SQLITE:
            ctx.sql(statement)
