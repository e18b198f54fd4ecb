"""Store helpers shared by the fixtures (conftest) and tests that serve their own app."""

from __future__ import annotations

import uuid

from maigie_core.db import open_database


def truncate_all(url: str) -> None:
    """Empty every table of the PostgreSQL database at ``url`` except the migration log."""
    db = open_database(url)
    with db.allow_sync():
        tables = [t for t in db.get_tables() if t != "maigie_migrations"]
        if tables:
            quoted = ", ".join(f'"{t}"' for t in tables)
            db.execute_sql(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE")
    db.close()


def key_prefix() -> str:
    """A ``REDIS_KEY_PREFIX`` of one test's own, for :func:`drop_keys` to find its keys by."""
    return f"t{uuid.uuid4().hex[:10]}:"


async def drop_keys(url: str, prefix: str) -> None:
    """Delete a test's Redis keys: every key holding ``prefix`` (Huey's queue names too)."""
    from redis.asyncio import Redis

    client = Redis.from_url(url)
    try:
        keys = [key async for key in client.scan_iter(match=f"*{prefix}*", count=500)]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()
