"""Listing and full-text search of the resources a user may see, in one SQL statement.

Each engine searches with its own full-text index:

* SQLite: FTS5 (``resources_fts``, porter + unicode61), ranked by
  ``bm25(title 10, description 3, tags 3)``. User input reaches ``MATCH`` only as
  quoted phrases (``"graph" "algorithms"``), so FTS5 syntax in ``q`` is inert.
  Visibility and type are read from ``resources_search_doc`` (the FTS rowid's narrow
  row), so only the page's resources are read from ``resources_resource``.
* PostgreSQL: the generated ``search`` tsvector (title weight A, description/tags B,
  GIN index), ``plainto_tsquery('english', q)`` — which parses ``q`` as plain words —
  ranked by ``ts_rank``.

Both match every term (AND), rank best first, then newest. The statements are built
once per shape (engine x filters) and cached; the hot path compiles no ORM query.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from maigie_core.db import database, is_postgres
from maigie_core.pagination import decode_cursor, encode_cursor
from maigie_resources import pagination
from maigie_resources.terms import clean, fts5_phrase, terms

COLUMNS = (
    "r.id, r.title, r.url, r.type, r.description, r.tags, r.course_id, r.topic_id, "
    "r.shared, r.created_at, r.updated_at"
)
SQLITE_RANK = "-bm25(resources_fts, 10.0, 3.0, 3.0)"  # higher is better, as on PostgreSQL
POSTGRES_RANK = "ts_rank(r.search, query)::float8"


@dataclass(frozen=True)
class Shape:
    postgres: bool
    search: bool
    by_type: bool
    by_tag: bool
    after: bool  # a cursor was given
    any_term: bool = False  # recommendations: a resource matching any term is a candidate


def _filters(shape: Shape, p: str, alias: str, ident: str = "id") -> list[str]:
    where = []
    if shape.by_type:
        where.append(f"{alias}.type = {p}")
    if shape.by_tag:
        where.append(
            f"EXISTS (SELECT 1 FROM resources_tag t WHERE t.resource_id = {alias}.{ident}"
            f" AND t.tag = {p})"
        )
    return where


def _listing(shape: Shape, p: str) -> str:
    """Newest first: own and shared pages read separately (each in index order), merged.

    Parameters, per branch: user, [type], [tag], [created_at, id], limit;
    then the page's limit.
    """
    shared = "r.shared" if shape.postgres else "r.shared = 1"
    after = [f"(r.created_at, r.id) < ({p}, {p})"] if shape.after else []  # index range
    branches: list[str] = []
    for visible in (f"r.owner_id = {p}", f"{shared} AND r.owner_id <> {p}"):
        where = " AND ".join([visible, *_filters(shape, p, "r"), *after])
        branches.append(
            f"SELECT * FROM (SELECT {COLUMNS}, NULL AS score FROM resources_resource r "
            f"WHERE {where} ORDER BY r.created_at DESC, r.id DESC LIMIT {p}) AS b{len(branches)}"
        )
    return f"{' UNION ALL '.join(branches)} ORDER BY created_at DESC, id DESC LIMIT {p}"


@cache
def statement(shape: Shape) -> str:
    """The SQL of one query shape (placeholders in the engine's style)."""
    p = "%s" if shape.postgres else "?"
    if not shape.search:
        return _listing(shape, p)
    # SQLite: visibility and type from the FTS rowid's narrow doc row (migration 0002)
    alias, ident = ("r", "id") if shape.postgres else ("d", "resource_id")
    shared = f"{alias}.shared" if shape.postgres else f"{alias}.shared = 1"
    visible = f"({alias}.owner_id = {p} OR {shared})"
    where = " AND ".join([visible, *_filters(shape, p, alias, ident)])
    cast = "::float8" if shape.postgres else ""
    after = f"WHERE score < {p}{cast} OR (score = {p}{cast} AND id > {p}) " if shape.after else ""
    if shape.postgres:
        parse = "websearch_to_tsquery" if shape.any_term else "plainto_tsquery"
        return (
            f"SELECT * FROM (SELECT {COLUMNS}, {POSTGRES_RANK} AS score "
            f"FROM resources_resource r, {parse}('english', {p}) query "
            f"WHERE r.search @@ query AND {where}) AS s "
            f"{after}ORDER BY score DESC, id LIMIT {p}"
        )
    # Rank narrow (id, score) rows first; read whole rows only for the page.
    return (
        f"SELECT {COLUMNS}, s.score FROM (SELECT id, score FROM ("
        f"SELECT d.resource_id AS id, {SQLITE_RANK} AS score FROM resources_fts "
        "JOIN resources_search_doc d ON d.doc_id = resources_fts.rowid "
        f"WHERE resources_fts MATCH {p} AND {where}"
        f") {after}ORDER BY score DESC, id LIMIT {p}"
        ") AS s JOIN resources_resource r ON r.id = s.id ORDER BY s.score DESC, s.id"
    )


def _uuid(value: Any) -> str:
    return str(value if isinstance(value, uuid.UUID) else uuid.UUID(value))


def _time(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


def row_json(row: Sequence[Any]) -> dict[str, Any]:
    """A result row (``COLUMNS``) as the resource JSON of the API."""
    rid, title, url, kind, description, tags, course, topic, shared, created, updated = row[:11]
    return {
        "id": _uuid(rid),
        "title": title,
        "url": url,
        "type": kind,
        "description": description,
        "tags": json.loads(tags),
        "course_id": None if course is None else _uuid(course),
        "topic_id": None if topic is None else _uuid(topic),
        "shared": bool(shared),
        "created_at": _time(created),
        "updated_at": _time(updated),
    }


async def _fetch_all(_db: Any, cursor: Any) -> Any:
    return await cursor.fetchall()


async def fetch(db: Any, sql: str, params: Sequence[Any]) -> Any:
    """All rows of ``sql`` (on SQLite, one trip to the connection's thread)."""
    return await db.aio_execute_sql(sql, params, fetch_results=_fetch_all)


def normal_tag(tag: str) -> str:
    return " ".join(clean(tag).split()).lower()


async def list_resources(
    user_id: str,
    *,
    q: str | None = None,
    kind: str | None = None,
    tag: str | None = None,
    limit: int = 20,
    cursor: str | None = None,
) -> dict[str, Any]:
    """One page of what ``user_id`` may see (own + shared): ``{"items", "next_cursor"}``."""
    db = database.obj
    postgres = is_postgres(db)
    text = clean(q).strip() if q else ""
    tag = normal_tag(tag) if tag else None
    search = bool(text)
    print_ = pagination.fingerprint(text, kind, tag)
    user = uuid.UUID(user_id).hex
    filters = [value for value in (kind, tag) if value]
    after: Any = None
    if search:
        words = terms(text)
        if cursor:
            after = pagination.decode_ranked(cursor, print_)
        if not words:  # only punctuation or stop words: nothing can match
            return {"items": [], "next_cursor": None}
        match = text if postgres else " ".join(fts5_phrase(w) for w in words)
        after_params = [] if after is None else [after[0], after[0], after[1].hex]
        params: list[Any] = [match, user, *filters, *after_params, limit + 1]
    else:
        after = decode_cursor(cursor)
        after_params = [] if after is None else [after[0], after[1].hex]
        branch = [*filters, *after_params, limit + 1]
        params = [user, *branch, user, *branch, limit + 1]
    sql = statement(Shape(postgres, search, bool(kind), bool(tag), after is not None))
    rows = await fetch(db, sql, params)
    items = [row_json(row) for row in rows[:limit]]
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1]
        if search:
            next_cursor = pagination.encode_ranked(float(last[11]), _uuid(last[0]), print_)
        else:
            next_cursor = encode_cursor(_time(last[9]), _uuid(last[0]))
    return {"items": items, "next_cursor": next_cursor}


async def candidates(user_id: str, words: Sequence[str], limit: int) -> list[Any]:
    """Rows of visible resources matching *any* of ``words``, best ranked first.

    ``words`` come from :func:`terms` (letters and digits, no stop words), so the
    PostgreSQL ``websearch_to_tsquery`` input ``"a or b"`` has no other operator in it.
    """
    if not words:
        return []
    db = database.obj
    postgres = is_postgres(db)
    match = " or ".join(words) if postgres else " OR ".join(fts5_phrase(w) for w in words)
    sql = statement(Shape(postgres, True, False, False, False, any_term=True))
    rows: list[Any] = await fetch(db, sql, [match, uuid.UUID(user_id).hex, limit])
    return rows
