"""Telling every process that a user changed: Redis pub/sub, or this process only.

``publish(user_id)`` drops the local copy at once, tells this process's ``listeners``
and, with Redis, publishes the id on
``{REDIS_KEY_PREFIX}auth:user-changed``. Each serving process runs :meth:`listen`: while
it is subscribed the :class:`UserCache` is live; on every (re)connection the cache is
cleared first (pub/sub silently drops what was published while disconnected), and
while the subscription is down the cache is bypassed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from maigie_core.auth.user_cache import UserCache
from maigie_core.redis_client import ListeningPubSub

if TYPE_CHECKING:
    from redis.asyncio import Redis

log = logging.getLogger("maigie.auth")

CLEAR_ALL = "*"


class UserInvalidation:
    def __init__(self, cache: UserCache, redis: Redis | None, prefix: str) -> None:
        self.cache = cache
        self.redis = redis
        self.channel = f"{prefix}auth:user-changed"
        #: Called in this process on every ``publish`` (e.g. the realtime hub re-checks
        #: the user's sockets); other processes hear of it through Redis.
        self.listeners: list[Callable[[str], None]] = []

    async def publish(self, user_id: str) -> None:
        """Call after the change committed: every process re-reads the user."""
        self.cache.drop(user_id)
        for listener in self.listeners:
            try:
                listener(user_id)
            except Exception:
                log.exception("a user invalidation listener failed")
        if self.redis is not None:
            try:
                await self.redis.publish(self.channel, user_id)
            except Exception:  # the listeners see the outage and bypass their caches
                log.exception("could not publish a user invalidation")

    async def listen(self) -> None:
        """Run until cancelled: keep the cache live exactly while subscribed."""
        if self.redis is None or not self.cache.enabled:
            return
        while True:
            pubsub = ListeningPubSub(self.redis, on_connect=lambda: self.cache.set_live(True))
            try:
                await pubsub.subscribe(self.channel)
                self.cache.set_live(True)
                while True:
                    message = await pubsub.next_message()
                    if message is None:
                        continue
                    data = message.get("data")
                    user_id = data.decode() if isinstance(data, bytes) else str(data)
                    if user_id == CLEAR_ALL:
                        self.cache.clear()
                    else:
                        self.cache.drop(user_id)
            except asyncio.CancelledError:
                self.cache.set_live(False)
                raise
            except Exception as exc:
                self.cache.set_live(False)
                log.warning("auth cache disabled, invalidation channel down: %s", exc)
                await asyncio.sleep(1.0)
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()  # type: ignore[no-untyped-call]
