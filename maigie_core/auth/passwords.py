"""Password hashing: a libpass ``CryptContext`` with argon2, always off the event loop.

The cost comes from settings (``PASSWORD_HASH_*``; unset keeps the library default).
``verify`` also returns an upgraded hash when the stored one used other parameters, so
hashes follow the settings as users log in. Unknown users are checked against a dummy
hash so that "no such user" and "wrong password" take the same time.
"""

from __future__ import annotations

import asyncio
from typing import Any

from passlib.context import CryptContext

from maigie_core.settings import Settings


class PasswordHasher:
    def __init__(self, settings: Settings) -> None:
        options: dict[str, Any] = {}
        if settings.PASSWORD_HASH_TIME_COST is not None:
            options["argon2__rounds"] = settings.PASSWORD_HASH_TIME_COST
        if settings.PASSWORD_HASH_MEMORY_KIB is not None:
            options["argon2__memory_cost"] = settings.PASSWORD_HASH_MEMORY_KIB
        if settings.PASSWORD_HASH_PARALLELISM is not None:
            options["argon2__parallelism"] = settings.PASSWORD_HASH_PARALLELISM
        self.context = CryptContext(schemes=["argon2"], deprecated="auto", **options)
        self._dummy: str | None = None

    async def hash(self, password: str) -> str:
        return await asyncio.to_thread(self.context.hash, password)

    async def verify(self, password: str, stored: str | None) -> tuple[bool, str | None]:
        """``(matches, new_hash_or_None)``; ``stored=None`` (no user, OAuth-only) never matches."""
        if stored is None:
            if self._dummy is None:
                self._dummy = await self.hash("maigie-dummy-password")
            await asyncio.to_thread(self.context.verify, password, self._dummy)
            return False, None
        try:
            ok, new_hash = await asyncio.to_thread(self.context.verify_and_update, password, stored)
        except (ValueError, TypeError):  # an unreadable stored hash never matches
            return False, None
        return bool(ok), new_hash
