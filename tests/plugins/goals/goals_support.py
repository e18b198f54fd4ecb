"""Helpers for the goals tests: create goals, change tiers, count SQL statements."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from auth_support import Api
from maigie_goals import sql as goals_sql
from peewee_async.transactions import Transaction
from quart import Quart

from maigie_core.runtime import runtime

GOALS = "/api/v1/goals"


async def create(api: Api, headers: dict[str, str], **body: Any) -> dict[str, Any]:
    body.setdefault("title", "Learn graphs")
    response = await api.client.post(GOALS, headers=headers, json=body)
    assert response.status_code == 201, await response.get_data(as_text=True)
    return await response.get_json()


async def set_tier(api: Api, headers: dict[str, str], tier: str) -> None:
    """Change the caller's tier through the admin API (plugins see apply_tier_limits)."""
    admin = getattr(api, "admin_headers", None)
    if admin is None:
        admin = api.admin_headers = await api.admin("root@example.com")  # type: ignore[attr-defined]
    user_id = (await api.me(headers))["id"]
    response = await api.client.patch(
        f"/api/v1/admin/users/{user_id}", headers=admin, json={"tier": tier}
    )
    assert response.status_code == 200, await response.get_data(as_text=True)


async def premium(api: Api, email: str = "ada@example.com") -> dict[str, str]:
    headers = await api.user(email)
    await set_tier(api, headers, "premium_monthly")
    return headers


async def goals_of(api: Api, headers: dict[str, str], query: str = "") -> list[dict[str, Any]]:
    response = await api.client.get(GOALS + query, headers=headers)
    assert response.status_code == 200, await response.get_data(as_text=True)
    return list((await response.get_json())["items"])


@contextmanager
def counting_statements(app: Quart) -> Iterator[list[str]]:
    """Every SQL statement the app sends while inside, BEGIN/COMMIT included."""
    db = runtime(app).db
    seen: list[str] = []
    original_sql = db.aio_execute_sql
    original_tx = Transaction.execute

    async def execute_sql(sql: str, params: Any = None, fetch_results: Any = None) -> Any:
        seen.append(sql)
        return await original_sql(sql, params, fetch_results)

    async def execute_tx(self: Transaction, sql: str) -> None:
        seen.append(sql)
        await original_tx(self, sql)

    original_prepared = goals_sql.run_prepared

    async def run_prepared(db: Any, sql: str, params: Any, fetch: Any) -> Any:
        seen.append(sql)
        return await original_prepared(db, sql, params, fetch)

    db.aio_execute_sql = execute_sql
    Transaction.execute = execute_tx  # type: ignore[method-assign]
    goals_sql.run_prepared = run_prepared
    try:
        yield seen
    finally:
        del db.aio_execute_sql
        Transaction.execute = original_tx  # type: ignore[method-assign]
        goals_sql.run_prepared = original_prepared
