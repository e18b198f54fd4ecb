"""Usage counters per (user, limit, period): atomic consume-if-allowed.

On Redis: one Lua script (INCRBY, give back if over, set the expiry on first use).
On the database: one upsert whose update only happens while the new total fits
(``INSERT … ON CONFLICT DO UPDATE … WHERE used + n <= allowance RETURNING used``): the
row lock (PostgreSQL) or the write lock (SQLite) makes it atomic, so concurrent
consumers never exceed the allowance.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from maigie_core.tiers.models import UsageCounter

if TYPE_CHECKING:
    from maigie_core.runtime import Runtime

UNLIMITED = -1

# KEYS[1] counter; ARGV: amount, allowance (-1 unlimited), expire-at (unix seconds)
_CONSUME_LUA = """
local used = redis.call('INCRBY', KEYS[1], ARGV[1])
local allowance = tonumber(ARGV[2])
if allowance >= 0 and used > allowance then
  redis.call('DECRBY', KEYS[1], ARGV[1])
  return -1
end
if used == tonumber(ARGV[1]) then
  redis.call('EXPIREAT', KEYS[1], ARGV[3])
end
return used
"""


def _redis_key(rt: Runtime, user_id: str, limit: str, period: str) -> str:
    return f"{rt.settings.REDIS_KEY_PREFIX}usage:{user_id}:{limit}:{period}"


async def _fetch_one(_db: Any, cursor: Any) -> Any:
    return await cursor.fetchone()


async def _fetch_all(_db: Any, cursor: Any) -> Any:
    return await cursor.fetchall()


def _uuid_param(user_id: str) -> Any:
    return UsageCounter.user_id.db_value(uuid.UUID(str(user_id)))


async def consume(
    rt: Runtime,
    user_id: str,
    limit: str,
    period: str,
    amount: int,
    allowance: int | None,
    expire_at: int,
) -> int | None:
    """Add ``amount`` uses if the total stays within ``allowance``; the new total or None."""
    cap = UNLIMITED if allowance is None else allowance
    if cap != UNLIMITED and amount > cap:
        return None
    if rt.redis is not None:
        result = await rt.redis.eval(
            _CONSUME_LUA, 1, _redis_key(rt, user_id, limit, period), amount, cap, expire_at
        )
        used = int(result)
        return None if used < 0 else used
    db = rt.db
    p = db.param
    condition = "" if cap == UNLIMITED else f" WHERE maigie_usage_counter.used + {p} <= {p}"
    sql = (
        "INSERT INTO maigie_usage_counter (user_id, limit_name, period, used) "
        f"VALUES ({p}, {p}, {p}, {p}) "
        "ON CONFLICT (user_id, limit_name, period) DO UPDATE "
        f"SET used = maigie_usage_counter.used + {p}{condition} RETURNING used"
    )
    params: list[Any] = [_uuid_param(user_id), limit, period, amount, amount]
    if cap != UNLIMITED:
        params += [amount, cap]
    row = await db.aio_execute_sql(sql, params, fetch_results=_fetch_one)
    return None if row is None else int(row[0])


async def release(rt: Runtime, user_id: str, limit: str, period: str, amount: int) -> None:
    """Give back ``amount`` uses (an operation that consumed them failed)."""
    if rt.redis is not None:
        key = _redis_key(rt, user_id, limit, period)
        await rt.redis.eval(
            "if redis.call('EXISTS', KEYS[1]) == 1 then "
            "return redis.call('DECRBY', KEYS[1], ARGV[1]) end return 0",
            1,
            key,
            amount,
        )
        return
    await (
        UsageCounter.update(used=UsageCounter.used - amount)
        .where(
            (UsageCounter.user_id == uuid.UUID(str(user_id)))
            & (UsageCounter.limit_name == limit)
            & (UsageCounter.period == period)
            & (UsageCounter.used >= amount)
        )
        .aio_execute()
    )


async def read(
    rt: Runtime, user_id: str, keys: Sequence[tuple[str, str]]
) -> dict[tuple[str, str], int]:
    """Current totals for ``(limit, period)`` pairs (0 when never used)."""
    if not keys:
        return {}
    if rt.redis is not None:
        values = await rt.redis.mget([_redis_key(rt, user_id, lim, per) for lim, per in keys])
        return {key: int(v or 0) for key, v in zip(keys, values, strict=True)}
    rows = await (
        UsageCounter.select(UsageCounter.limit_name, UsageCounter.period, UsageCounter.used)
        .where(
            (UsageCounter.user_id == uuid.UUID(str(user_id)))
            & UsageCounter.period.in_(sorted({per for _lim, per in keys}))
        )
        .tuples()
        .aio_execute()
    )
    found = {(lim, per): int(used) for lim, per, used in rows}
    return {key: found.get(key, 0) for key in keys}


async def delete_usage(rt: Runtime, user_id: str, limits: Iterable[str] = ()) -> None:
    """Forget every counter of a deleted user."""
    await UsageCounter.delete().where(UsageCounter.user_id == uuid.UUID(str(user_id))).aio_execute()
    if rt.redis is not None:
        pattern = f"{rt.settings.REDIS_KEY_PREFIX}usage:{user_id}:*"
        keys = [key async for key in rt.redis.scan_iter(match=pattern, count=500)]
        if keys:
            await rt.redis.delete(*keys)
