"""Fixed-window rate limiting for any plugin (login attempts, chat messages): Redis when
configured, else in-process — and in-process too while Redis is unreachable (each process
then counts on its own: throttling stays on and the route stays up).

``consume(key)`` counts an attempt and returns ``None`` or the seconds to wait;
``refund(key)`` takes a successful attempt back, so only failures accumulate.
"""

from __future__ import annotations

import ipaddress
import logging
import math
import time
from typing import TYPE_CHECKING

from quart import request
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

if TYPE_CHECKING:
    from redis.asyncio import Redis

_PRUNE_EVERY = 1024
_REDIS_DOWN = (RedisConnectionError, RedisTimeoutError)
log = logging.getLogger("maigie.ratelimit")


class RateLimiter:
    """At most ``limit`` attempts per ``window`` seconds per key."""

    def __init__(
        self, name: str, limit: int, window: int, redis: Redis | None, prefix: str
    ) -> None:
        self.limit = limit
        self.window = window
        self.redis = redis
        self.prefix = f"{prefix}rate:{name}:"
        self._local: dict[str, tuple[int, float]] = {}
        self._calls = 0

    async def consume(self, key: str) -> int | None:
        """Count one attempt for ``key``; the Retry-After seconds if over the limit."""
        if self.redis is not None:
            full = self.prefix + key
            try:
                async with self.redis.pipeline(transaction=True) as pipe:
                    pipe.incr(full)
                    pipe.expire(full, self.window, nx=True)
                    pipe.ttl(full)
                    count, _set, ttl = await pipe.execute()
            except _REDIS_DOWN as exc:
                log.warning("rate limit %s counted in-process, Redis is down: %s", full, exc)
            else:
                if int(count) > self.limit:
                    return max(1, int(ttl))
                return None
        now = time.monotonic()
        self._prune(now)
        count, reset_at = self._local.get(key, (0, now + self.window))
        if reset_at <= now:
            count, reset_at = 0, now + self.window
        count += 1
        self._local[key] = (count, reset_at)
        if count > self.limit:
            return max(1, math.ceil(reset_at - now))
        return None

    async def refund(self, key: str) -> None:
        if self.redis is not None:
            try:
                await self.redis.decr(self.prefix + key)
                return
            except _REDIS_DOWN:
                pass  # counted in-process (consume fell back too), or lost with Redis
        entry = self._local.get(key)
        if entry is not None:
            self._local[key] = (max(0, entry[0] - 1), entry[1])

    def _prune(self, now: float) -> None:
        self._calls += 1
        if self._calls % _PRUNE_EVERY == 0:
            self._local = {k: v for k, v in self._local.items() if v[1] > now}


def client_address(trusted_proxies: list[str]) -> str:
    """The caller's address; ``X-Forwarded-For`` is believed only from ``TRUSTED_PROXIES``."""
    remote = request.remote_addr or "unknown"
    if not trusted_proxies or not _is_trusted(remote, trusted_proxies):
        return remote
    forwarded = request.headers.get("X-Forwarded-For", "")
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    for hop in reversed(hops):  # the nearest untrusted hop is the client
        if not _is_trusted(hop, trusted_proxies):
            return hop
    return hops[0] if hops else remote


def _is_trusted(address: str, trusted: list[str]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    for entry in trusted:
        try:
            if ip in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            continue
    return False
