"""Who is calling: the authenticated user as routes and plugins see it."""

from __future__ import annotations

from dataclasses import dataclass

from maigie_core.hookspecs import Tier


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated user; cheap to pass around, never a database row."""

    id: str
    email: str
    role: str = "user"
    tier: Tier = "free"
    timezone: str = "UTC"

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def is_premium(self) -> bool:
        return self.tier != "free"
