"""Helpers for the AI tests: an API client that chats, the plugins, an event recorder."""

from __future__ import annotations

from typing import Any

import maigie_ai
import maigie_courses
import maigie_goals
import maigie_resources
import maigie_schedule
from auth_support import Api

BASE = "/api/v1/ai"
REAL_PLUGINS: dict[str, Any] = {
    "ai": maigie_ai,
    "courses": maigie_courses,
    "goals": maigie_goals,
    "schedule": maigie_schedule,
    "resources": maigie_resources,
}


class AiApi(Api):
    """``Api`` plus the assistant's routes and reads of what the actions created."""

    async def chat(
        self,
        headers: dict[str, str],
        message: str,
        conversation_id: str | None = None,
        status: int = 200,
        key: str | None = None,
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"message": message}
        if conversation_id:
            body["conversation_id"] = conversation_id
        extra = {"Idempotency-Key": key} if key else {}
        response = await self.client.post(f"{BASE}/chat", headers={**headers, **extra}, json=body)
        data = await response.get_json()
        assert response.status_code == status, data
        return data

    async def get(self, headers: dict[str, str], path: str, status: int = 200) -> Any:
        response = await self.client.get(path, headers=headers)
        data = await response.get_json()
        assert response.status_code == status, data
        return data

    async def post(self, headers: dict[str, str], path: str, body: Any, status: int = 200) -> Any:
        response = await self.client.post(path, headers=headers, json=body)
        data = await response.get_json()
        assert response.status_code == status, data
        return data

    async def courses(self, headers: dict[str, str]) -> list[dict[str, Any]]:
        return (await self.get(headers, "/api/v1/courses"))["items"]

    async def goals(self, headers: dict[str, str]) -> list[dict[str, Any]]:
        return (await self.get(headers, "/api/v1/goals"))["items"]

    async def blocks(self, headers: dict[str, str], start: str, end: str) -> list[dict[str, Any]]:
        return (await self.get(headers, f"/api/v1/schedule?start={start}&end={end}"))["items"]

    async def set_tier(self, headers: dict[str, str], tier: str) -> None:
        user_id = (await self.me(headers))["id"]
        admin = await self.admin(f"root-{user_id[:8]}@example.com")
        response = await self.client.patch(
            f"/api/v1/admin/users/{user_id}", headers=admin, json={"tier": tier}
        )
        assert response.status_code == 200, await response.get_json()

    async def premium(self, email: str = "pat@example.com") -> dict[str, str]:
        headers = await self.user(email)
        await self.set_tier(headers, "premium_monthly")
        return headers


def names(reply: dict[str, Any]) -> list[tuple[str, str]]:
    return [(a["name"], a["status"]) for a in reply["actions"]]
