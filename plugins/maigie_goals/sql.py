"""The hot statements, written once per engine and kept: no query building per request.

Each goal row carries ``doc``, the goal exactly as the API returns it (tasks nested,
RFC 3339 UTC timestamps, UUID strings). A create writes it from Python; every later
write rebuilds it in the same transaction with one ``UPDATE … SET doc = <expression>``
(PostgreSQL ``json_build_object``/``json_agg``, SQLite ``json_object``/
``json_group_array``). So listing 20 goals with their tasks is one indexed statement
returning 20 short texts that the route joins into the page: no Python object per goal
or task, no JSON work per read. On PostgreSQL the statements are prepared once per
connection (``aio_execute_prepared``: no parse/plan per request, no cursor machinery);
building a peewee query (≈120 µs) never happens on these paths.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import peewee

from maigie_core.db import database

GOAL_TABLE = "goals_goal"
TASK_TABLE = "goals_task"


@dataclass(frozen=True)
class Dialect:
    """How one engine spells the few expressions the statements need."""

    postgres: bool

    @property
    def param(self) -> str:
        return "%s" if self.postgres else "?"

    def typed(self, sql_type: str) -> str:
        """A parameter of ``sql_type`` in a SELECT list (PostgreSQL cannot infer it there)."""
        return f"%s::{sql_type}" if self.postgres else "?"

    def uuid(self, column: str) -> str:
        if self.postgres:
            return column
        # peewee stores UUIDs as 32 hex digits on SQLite: dash them like str(UUID).
        parts = [(1, 8), (9, 4), (13, 4), (17, 4), (21, 12)]
        return "||'-'||".join(f"substr({column},{a},{n})" for a, n in parts)

    def timestamp(self, column: str) -> str:
        if self.postgres:
            return f"""to_char({column}, 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')"""
        # sqlite3 stores datetimes as isoformat(" "), without the fraction when it is 0.
        return (
            f"CASE WHEN {column} IS NULL THEN NULL WHEN length({column}) = 19 "
            f"THEN replace({column}, ' ', 'T') || '.000000Z' "
            f"ELSE replace({column}, ' ', 'T') || 'Z' END"
        )

    def date(self, column: str) -> str:
        return f"to_char({column}, 'YYYY-MM-DD')" if self.postgres else column

    def boolean(self, column: str) -> str:
        return column if self.postgres else f"json(CASE WHEN {column} THEN 'true' ELSE 'false' END)"

    def obj(self, pairs: Sequence[tuple[str, str]]) -> str:
        function = "json_build_object" if self.postgres else "json_object"
        return f"{function}(" + ", ".join(f"'{key}', {value}" for key, value in pairs) + ")"

    def tasks_of(self, goal_alias: str) -> str:
        """The JSON array of a goal's tasks, in order (``[]`` when it has none)."""
        task = self.obj(task_pairs(self, "t"))
        if self.postgres:
            return (
                f"COALESCE((SELECT json_agg({task} ORDER BY t.position, t.id) "
                f"FROM {TASK_TABLE} t WHERE t.goal_id = {goal_alias}.id), '[]'::json)"
            )
        return (
            f"json((SELECT json_group_array(json(x)) FROM (SELECT {task} AS x "
            f"FROM {TASK_TABLE} t WHERE t.goal_id = {goal_alias}.id ORDER BY t.position, t.id)))"
        )

    def as_text(self, expression: str) -> str:
        return f"({expression})::text" if self.postgres else expression


def task_pairs(d: Dialect, a: str) -> list[tuple[str, str]]:
    return [
        ("id", d.uuid(f"{a}.id")),
        ("title", f"{a}.title"),
        ("due_at", d.timestamp(f"{a}.due_at")),
        ("done", d.boolean(f"{a}.done")),
        ("created_at", d.timestamp(f"{a}.created_at")),
        ("updated_at", d.timestamp(f"{a}.updated_at")),
    ]


def goal_pairs(d: Dialect, a: str) -> list[tuple[str, str]]:
    return [
        ("id", d.uuid(f"{a}.id")),
        ("title", f"{a}.title"),
        ("description", f"{a}.description"),
        ("target_date", d.date(f"{a}.target_date")),
        ("status", f"{a}.status"),
        ("progress", f"{a}.progress"),
        ("course_id", d.uuid(f"{a}.course_id")),
        ("frozen", d.boolean(f"{a}.frozen")),
        ("tasks", d.tasks_of(a)),
        ("created_at", d.timestamp(f"{a}.created_at")),
        ("updated_at", d.timestamp(f"{a}.updated_at")),
    ]


GOAL_COLUMNS = (
    "id, owner_id, title, description, target_date, status, progress, progress_explicit, "
    "course_id, frozen, active_slot, doc, created_at, updated_at"
)


@dataclass
class Statements:
    """Every hot statement of one engine, as SQL text with positional parameters."""

    dialect: Dialect
    list_goals: dict[tuple[bool, bool], str] = field(default_factory=dict)
    insert_limited: dict[int, str] = field(default_factory=dict)
    insert_tasks_too: dict[int | None, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        d, p = self.dialect, self.dialect.param
        self.task_json = d.as_text(d.obj(task_pairs(d, "t")))
        for by_status in (False, True):
            for after in (False, True):
                where = f"owner_id = {p}"
                if by_status:
                    where += f" AND status = {p}"
                if after:
                    where += f" AND (created_at, id) < ({p}, {p})"
                self.list_goals[by_status, after] = (
                    f"SELECT doc FROM {GOAL_TABLE} WHERE {where} "
                    f"ORDER BY created_at DESC, id DESC LIMIT {p}"
                )
        self.get_goal = f"SELECT doc FROM {GOAL_TABLE} WHERE id = {p} AND owner_id = {p}"
        self.goals_of_owner = (
            f"SELECT doc FROM {GOAL_TABLE} WHERE owner_id = {p} ORDER BY created_at, id"
        )
        # Rebuild the stored document from the row and its tasks (after any change).
        self.refresh_doc = (
            f"UPDATE {GOAL_TABLE} AS g SET doc = {d.as_text(d.obj(goal_pairs(d, 'g')))} "
            f"WHERE g.id = {p} RETURNING doc"
        )
        self.insert_unlimited = (
            f"INSERT INTO {GOAL_TABLE} ({GOAL_COLUMNS}) VALUES ({', '.join([p] * 14)})"
        )
        # Lock the goal first thing in a write transaction (a row lock on PostgreSQL, the
        # write lock on SQLite) and read what the write needs.
        self.lock_goal = (
            f"UPDATE {GOAL_TABLE} SET updated_at = {p} WHERE id = {p} AND owner_id = {p} "
            "RETURNING status, frozen, progress_explicit, active_slot"
        )
        self.free_slot = (
            f"SELECT min(s.n) FROM ({{slots}}) s WHERE NOT EXISTS (SELECT 1 FROM {GOAL_TABLE} x "
            f"WHERE x.owner_id = {p} AND x.active_slot = s.n)"
        )
        self.task_of_goal = (
            f"SELECT {self.task_json} FROM {TASK_TABLE} t JOIN {GOAL_TABLE} g ON g.id = t.goal_id "
            f"WHERE t.id = {p} AND t.goal_id = {p} AND g.owner_id = {p}"
        )
        self.tasks_page = {
            after: (
                f"SELECT {self.task_json}, t.position FROM {GOAL_TABLE} g "
                f"LEFT JOIN {TASK_TABLE} t ON t.goal_id = g.id"
                + (f" AND t.position > {p}" if after else "")
                + f" WHERE g.id = {p} AND g.owner_id = {p} ORDER BY t.position LIMIT {p}"
            )
            for after in (False, True)
        }

    @staticmethod
    def slots(cap: int) -> str:
        return " UNION ALL ".join(f"SELECT {n} AS n" for n in range(1, cap + 1))

    def insert_with_slot(self, cap: int) -> str:
        """Insert a goal holding the lowest free slot of ``cap``; no row when all are held.

        Two requests that pick the same slot collide on the unique (owner, slot) index:
        one of them fails with an IntegrityError and tries again.
        """
        sql = self.insert_limited.get(cap)
        if sql is None:
            d, p = self.dialect, self.dialect.param
            uid, number, moment = d.typed("uuid"), d.typed("integer"), d.typed("timestamp")
            # id, owner_id, title, description, target_date, status, progress,
            # progress_explicit, course_id, frozen, active_slot, doc, created_at, updated_at
            date, flag = d.typed("date"), d.typed("boolean")
            values = ", ".join(
                [uid, uid, p, p, date, p, number, number, uid, flag, "s.n", p, moment, moment]
            )
            sql = (
                f"INSERT INTO {GOAL_TABLE} ({GOAL_COLUMNS}) SELECT {values} "
                f"FROM ({self.slots(cap)}) s WHERE NOT EXISTS (SELECT 1 FROM {GOAL_TABLE} x "
                f"WHERE x.owner_id = {p} AND x.active_slot = s.n) ORDER BY s.n LIMIT 1 "
                "RETURNING active_slot"
            )
            self.insert_limited[cap] = sql
        return sql

    def insert_with_tasks(self, cap: int | None) -> str:
        """PostgreSQL: a goal (``cap`` as above, ``None``: unlimited) and its tasks at once.

        One statement (a data-modifying CTE), so no BEGIN/COMMIT round trips: the tasks
        come as arrays (ids, titles, due dates, done flags; positions from their order)
        and are inserted only if the goal was, returning a row each — none when every
        slot is held.
        """
        sql = self.insert_tasks_too.get(cap)
        if sql is None:
            if cap is None:
                goal = self.insert_unlimited + " RETURNING id"
            else:
                goal = self.insert_with_slot(cap).replace("RETURNING active_slot", "RETURNING id")
            sql = (
                f"WITH g AS ({goal}) INSERT INTO {TASK_TABLE} "
                "(id, goal_id, title, due_at, done, position, created_at, updated_at) "
                "SELECT t.id, g.id, t.title, t.due_at, t.done, t.n - 1, %s::timestamp, "
                "%s::timestamp FROM g, unnest(%s::uuid[], %s::text[], %s::timestamp[], "
                "%s::boolean[]) WITH ORDINALITY AS t(id, title, due_at, done, n) RETURNING 1"
            )
            self.insert_tasks_too[cap] = sql
        return sql

    def free_slot_of(self, cap: int) -> str:
        return self.free_slot.format(slots=self.slots(cap))


_BY_ENGINE: dict[bool, Statements] = {}


def statements() -> Statements:
    """The statements of the current database's engine (built on first use)."""
    postgres = isinstance(database.obj, peewee.PostgresqlDatabase)
    found = _BY_ENGINE.get(postgres)
    if found is None:
        found = _BY_ENGINE[postgres] = Statements(Dialect(postgres))
    return found


async def _all(_db: Any, cursor: Any) -> list[Any]:
    rows: list[Any] = await cursor.fetchall()
    return rows


async def _one(_db: Any, cursor: Any) -> Any:
    return await cursor.fetchone()


_FETCH = {"all": _all, "one": _one, None: None}


async def run(sql: str, params: Sequence[Any], fetch: str | None = None) -> Any:
    """Execute one statement; ``fetch`` is ``"one"``, ``"all"`` or ``None``.

    On PostgreSQL the statement is prepared once per pooled connection and then sent by
    name with its parameters (``aio_execute_prepared``). Errors are peewee's.
    """
    db = database.obj
    if not isinstance(db, peewee.PostgresqlDatabase):
        return await db.aio_execute_sql(sql, params, fetch_results=_FETCH[fetch])
    return await run_prepared(db, sql, params, fetch)


async def run_prepared(db: Any, sql: str, params: Sequence[Any], fetch: str | None) -> Any:
    return await db.aio_execute_prepared(sql, params, fetch)
