"""A plugin declaring tier limits and using them the way feature plugins will."""

from __future__ import annotations

from typing import Any

from quart import Blueprint

from maigie_core import TierLimit, hookimpl
from maigie_core.auth import current_user, require_user
from maigie_core.tiers import allowance, check_limit, frozen_error

LIMITS = [
    TierLimit(
        "chat_messages",
        "AI chat messages",
        {"free": 3, "premium_monthly": None, "premium_yearly": None},
        period="month",
    ),
    TierLimit(
        "recommendations",
        "resource recommendations",
        {"free": 2, "premium_monthly": 10},
        period="day",
    ),
    TierLimit("voice_sessions", "Voice sessions", {"free": 0}, period="none"),
]


class NotesPlugin:
    """Notes: at most 2 on free; over-limit notes are frozen on downgrade."""

    def __init__(self) -> None:
        self.notes: dict[str, list[dict[str, Any]]] = {}
        self.tier_changes: list[tuple[str, str, str]] = []
        self.bp = self._blueprint()

    def _count(self, user_id: str) -> int:
        return len(self.notes.get(user_id, []))

    @hookimpl
    def register_tier_limits(self) -> list[TierLimit]:
        return [*LIMITS, TierLimit("notes", "Notes held", {"free": 2}, count=self._count)]

    @hookimpl
    def register_blueprints(self) -> list[Blueprint]:
        return [self.bp]

    @hookimpl
    async def apply_tier_limits(self, user_id: str, tier: str, previous_tier: str) -> None:
        self.tier_changes.append((user_id, tier, previous_tier))
        cap = allowance("notes", tier)
        for index, note in enumerate(self.notes.get(user_id, [])):
            note["frozen"] = cap is not None and index >= cap

    def _blueprint(self) -> Blueprint:
        bp = Blueprint("tiered", __name__, url_prefix="/api/v1/tiered")
        plugin = self

        @bp.post("/chat")
        @require_user
        async def chat() -> dict[str, Any]:
            usage = await check_limit(current_user(), "chat_messages")
            return {"used": usage.used}

        @bp.post("/recommend")
        @require_user
        async def recommend() -> dict[str, Any]:
            usage = await check_limit(current_user(), "recommendations")
            return {"used": usage.used}

        @bp.post("/voice")
        @require_user
        async def voice() -> dict[str, Any]:
            await check_limit(current_user(), "voice_sessions")
            return {"ok": True}

        @bp.post("/notes")
        @require_user
        async def add_note() -> tuple[dict[str, Any], int]:
            user = current_user()
            await check_limit(user, "notes")
            notes = plugin.notes.setdefault(user.id, [])
            notes.append({"frozen": False})
            return {"index": len(notes) - 1}, 201

        @bp.patch("/notes/<int:index>")
        @require_user
        async def edit_note(index: int) -> dict[str, Any]:
            note = plugin.notes[current_user().id][index]
            if note["frozen"]:
                raise frozen_error("note", "notes")
            return {"index": index}

        return bp
