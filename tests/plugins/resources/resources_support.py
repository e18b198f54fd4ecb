"""Helpers of the resources tests (a module of its own: ``conftest`` names collide)."""

from __future__ import annotations

import uuid
from typing import Any

from auth_support import Api

from maigie_core import Principal, hookimpl


class StudyObjects:
    """Owns kinds ``course`` and ``goal``: each visible to its owner only."""

    def __init__(self) -> None:
        self.objects: dict[tuple[str, str], tuple[str, dict[str, Any]]] = {}

    def add(self, kind: str, owner_id: str, **body: Any) -> str:
        object_id = str(uuid.uuid4())
        self.objects[(kind, object_id)] = (owner_id, {"id": object_id, **body})
        return object_id

    def course(
        self, owner_id: str, title: str, modules: list[tuple[str, list[str]]], **kw: Any
    ) -> str:
        return self.add(
            "course",
            owner_id,
            title=title,
            description=kw.pop("description", ""),
            modules=[
                {
                    "id": str(uuid.uuid4()),
                    "title": module,
                    "order": index,
                    "topics": [
                        {"id": str(uuid.uuid4()), "title": topic, "order": n, "done": False}
                        for n, topic in enumerate(topics)
                    ],
                }
                for index, (module, topics) in enumerate(modules)
            ],
            **kw,
        )

    def goal(self, owner_id: str, title: str, tasks: list[str], **kw: Any) -> str:
        return self.add(
            "goal",
            owner_id,
            title=title,
            description=kw.pop("description", ""),
            tasks=[{"id": str(uuid.uuid4()), "title": t, "done": False} for t in tasks],
            **kw,
        )

    @hookimpl
    def resolve_object(self, kind: str, object_id: str, user: Principal) -> Any:
        if kind not in ("course", "goal"):
            return None
        found = self.objects.get((kind, object_id))
        if found is None or found[0] != user.id:
            return None
        return found[1]


class Resources:
    """Calls of the resources API as one signed-in user."""

    def __init__(self, api: Api, headers: dict[str, str]) -> None:
        self.client = api.client
        self.headers = headers

    async def create(self, expect: int = 201, **body: Any) -> dict[str, Any]:
        body.setdefault("url", "https://example.com/" + uuid.uuid4().hex[:8])
        response = await self.client.post("/api/v1/resources", json=body, headers=self.headers)
        data = await response.get_json()
        assert response.status_code == expect, data
        return data

    async def search(self, expect: int = 200, **params: Any) -> dict[str, Any]:
        response = await self.client.get(
            "/api/v1/resources", query_string=params, headers=self.headers
        )
        data = await response.get_json()
        assert response.status_code == expect, data
        return data

    async def titles(self, **params: Any) -> list[str]:
        return [item["title"] for item in (await self.search(**params))["items"]]

    async def recommend(self, expect: int = 200, **body: Any) -> dict[str, Any]:
        response = await self.client.post(
            "/api/v1/resources/recommend", json=body, headers=self.headers
        )
        data = await response.get_json()
        assert response.status_code == expect, data
        return data


async def user_id(api: Api, who: Resources) -> str:
    return str((await api.me(who.headers))["id"])
