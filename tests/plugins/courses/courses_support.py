"""Helpers for the courses tests: an API client that knows courses, an event recorder."""

from __future__ import annotations

from typing import Any

from auth_support import Api

BASE = "/api/v1/courses"


def sample_course(title: str = "Data Structures", **extra: Any) -> dict[str, Any]:
    return {
        "title": title,
        "description": "Lists, trees and graphs",
        "modules": [
            {
                "title": "Linear structures",
                "topics": [{"title": "Arrays", "estimated_minutes": 30}, {"title": "Lists"}],
            },
            {"title": "Trees", "topics": [{"title": "Binary trees"}, {"title": "Heaps"}]},
        ],
        **extra,
    }


class CourseApi(Api):
    """``Api`` plus course calls that assert the status they expect."""

    async def create(
        self, headers: dict[str, str], body: dict[str, Any] | None = None, status: int = 201
    ) -> dict[str, Any]:
        response = await self.client.post(BASE, headers=headers, json=body or sample_course())
        data = await response.get_json()
        assert response.status_code == status, data
        return data

    async def get(self, headers: dict[str, str], course_id: str, status: int = 200) -> Any:
        response = await self.client.get(f"{BASE}/{course_id}", headers=headers)
        data = await response.get_json()
        assert response.status_code == status, data
        return data

    async def patch(
        self, headers: dict[str, str], course_id: str, body: dict[str, Any], status: int = 200
    ) -> Any:
        response = await self.client.patch(f"{BASE}/{course_id}", headers=headers, json=body)
        data = await response.get_json()
        assert response.status_code == status, data
        return data

    async def list(self, headers: dict[str, str], query: str = "", status: int = 200) -> Any:
        response = await self.client.get(f"{BASE}?{query}", headers=headers)
        data = await response.get_json()
        assert response.status_code == status, data
        return data

    async def tick(
        self, headers: dict[str, str], course_id: str, topic_id: str, done: bool = True
    ) -> Any:
        url = f"{BASE}/{course_id}/topics/{topic_id}/done"
        call = self.client.put if done else self.client.delete
        response = await call(url, headers=headers)
        return response.status_code, await response.get_json()

    async def share(self, headers: dict[str, str], course_id: str) -> str:
        response = await self.client.post(f"{BASE}/{course_id}/share", headers=headers)
        data = await response.get_json()
        assert response.status_code == 200, data
        return str(data["share_code"])

    async def enroll(self, headers: dict[str, str], course_id: str, code: str) -> Any:
        response = await self.client.post(
            f"{BASE}/{course_id}/enroll", headers=headers, json={"share_code": code}
        )
        return response.status_code, await response.get_json()

    async def user_id(self, headers: dict[str, str]) -> str:
        return str((await self.me(headers))["id"])


def topic_ids(course: dict[str, Any]) -> list[str]:
    return [t["id"] for m in course["modules"] for t in m["topics"]]
