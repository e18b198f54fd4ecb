"""The Redis clients: every one bounded in time, so a Redis outage never hangs a request.

``REDIS_TIMEOUT`` bounds connecting and each reply; a failed command is retried
``REDIS_RETRIES`` times after a short jittered pause (redis-py's own default retries ten
times, ≈ 2-4 s per command against a Redis that is down). A command that still fails
raises ``redis.exceptions.ConnectionError`` or ``TimeoutError``: a 503 envelope in a
route (``maigie_core.errors``), unless the caller has a fallback.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from redis.backoff import ExponentialWithJitterBackoff

if TYPE_CHECKING:
    from redis.asyncio import Redis

    from maigie_core.settings import Settings

_BACKOFF_BASE, _BACKOFF_CAP = 0.05, 0.5


def sync_options(settings: Settings) -> dict[str, Any]:
    """Connection options for a synchronous client (Huey's storage)."""
    from redis.retry import Retry

    backoff = ExponentialWithJitterBackoff(cap=_BACKOFF_CAP, base=_BACKOFF_BASE)
    return {
        "socket_timeout": settings.REDIS_TIMEOUT,
        "socket_connect_timeout": settings.REDIS_TIMEOUT,
        "retry": Retry(backoff, settings.REDIS_RETRIES),
    }


def async_client(settings: Settings) -> Redis:
    """An asyncio client for ``REDIS_URL`` with the bounds above."""
    from redis.asyncio import Redis
    from redis.asyncio.retry import Retry

    backoff = ExponentialWithJitterBackoff(cap=_BACKOFF_CAP, base=_BACKOFF_BASE)
    client: Redis = Redis.from_url(
        settings.REDIS_URL,
        socket_timeout=settings.REDIS_TIMEOUT,
        socket_connect_timeout=settings.REDIS_TIMEOUT,
        retry=Retry(backoff, settings.REDIS_RETRIES),
    )
    return client
