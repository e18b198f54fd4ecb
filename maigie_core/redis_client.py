"""The Redis clients: every one bounded in time, so a Redis outage never hangs a request.

``REDIS_TIMEOUT`` bounds connecting and each reply; a command whose connection failed
(refused, reset) is retried ``REDIS_RETRIES`` times after a short jittered pause
(redis-py's own default retries ten times, ≈ 2-4 s per command against a Redis that is
down). A reply that does not come in time is not retried: the command may have run
(an increment would count twice), and a silent Redis would double the wait. A command
that still fails raises ``redis.exceptions.ConnectionError`` or ``TimeoutError``: a
503 envelope in a route (``maigie_core.errors``), unless the caller has a fallback.

Pub/sub connections wait for messages without a deadline: :class:`ListeningPubSub`
notices one whose Redis went silent.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from redis.asyncio.client import PubSub
from redis.backoff import ExponentialWithJitterBackoff
from redis.exceptions import ConnectionError

if TYPE_CHECKING:
    from redis.asyncio import Redis

    from maigie_core.settings import Settings

_BACKOFF_BASE, _BACKOFF_CAP = 0.05, 0.5
_RETRIED = (ConnectionError,)  # redis-py's TimeoutError is not one: not retried, see above


def sync_options(settings: Settings) -> dict[str, Any]:
    """Connection options for a synchronous client (Huey's storage)."""
    from redis.retry import Retry

    backoff = ExponentialWithJitterBackoff(cap=_BACKOFF_CAP, base=_BACKOFF_BASE)
    return {
        "socket_timeout": settings.REDIS_TIMEOUT,
        "socket_connect_timeout": settings.REDIS_TIMEOUT,
        "retry": Retry(backoff, settings.REDIS_RETRIES, supported_errors=_RETRIED),
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
        retry=Retry(backoff, settings.REDIS_RETRIES, supported_errors=_RETRIED),
    )
    return client


class ListeningPubSub(PubSub):
    """A subscription that reports each (re)connection and notices a silent Redis.

    redis-py reconnects by itself and drops what was published meanwhile: ``on_connect``
    is called each time, for the caller to catch up. A connection whose Redis stopped
    answering without a reset (a partition) would wait forever: after ``REDIS_TIMEOUT``
    (the client's reply timeout) without a message :meth:`next_message` sends a ping, and
    raises ``ConnectionError`` if nothing arrives within ``REDIS_TIMEOUT`` more.
    """

    def __init__(self, redis: Redis, on_connect: Callable[[], None]) -> None:
        super().__init__(redis.connection_pool, ignore_subscribe_messages=True)
        self._notify = on_connect
        self.silence = float(redis.connection_pool.connection_kwargs.get("socket_timeout") or 5)
        self._heard = time.monotonic()
        self._pinged: float | None = None

    async def on_connect(self, connection: Any) -> None:
        await super().on_connect(connection)
        self._heard, self._pinged = time.monotonic(), None
        self._notify()

    async def next_message(self) -> dict[str, Any] | None:
        """The next published message, or None after a second (or a ping's answer)."""
        message: dict[str, Any] | None = await self.get_message(timeout=1.0)
        now = time.monotonic()
        if message is not None:
            self._heard, self._pinged = now, None
            return None if message["type"] == "pong" else message
        if self._pinged is not None:
            if now - self._pinged > self.silence:
                raise ConnectionError(f"Redis did not answer a ping within {self.silence} s")
        elif now - self._heard > self.silence:
            await self.ping()
            self._pinged = now
        return None
