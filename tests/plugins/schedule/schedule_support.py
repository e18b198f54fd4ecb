"""Helpers for the schedule tests: a client that knows blocks and reminders, an event
recorder and a stand-in for the courses/goals plugins (``resolve_object``)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from auth_support import Api
from dateutil import rrule as dateutil_rrule

from maigie_core import hookimpl

BASE = "/api/v1/schedule"
REMINDERS = "/api/v1/reminders"


class ScheduleApi(Api):
    """``Api`` plus schedule calls that assert the status they expect."""

    async def user_in(self, email: str, timezone: str) -> dict[str, str]:
        headers = await self.user(email)
        response = await self.client.patch(
            "/api/v1/auth/me", headers=headers, json={"timezone": timezone}
        )
        assert response.status_code == 200, await response.get_json()
        return headers

    async def call(
        self, method: str, path: str, headers: dict[str, str], status: int, **kwargs: Any
    ) -> Any:
        response = await getattr(self.client, method)(path, headers=headers, **kwargs)
        body = await response.get_json() if response.status_code != 204 else None
        assert response.status_code == status, body
        return body

    async def block(self, headers: dict[str, str], status: int = 201, **body: Any) -> Any:
        body.setdefault("title", "Reading")
        return await self.call("post", BASE, headers, status, json=body)

    async def window(self, headers: dict[str, str], query: str, status: int = 200) -> Any:
        return await self.call("get", f"{BASE}?{query}", headers, status)

    async def reminder(self, headers: dict[str, str], status: int = 201, **body: Any) -> Any:
        body.setdefault("message", "Review chapter 5")
        return await self.call("post", REMINDERS, headers, status, json=body)


class Catalogue:
    """Stands in for the courses and goals plugins: answers ``resolve_object``."""

    def __init__(self) -> None:
        self.objects: dict[tuple[str, str], tuple[str, dict[str, Any]]] = {}

    def add(self, kind: str, owner_id: str, **fields: Any) -> str:
        object_id = str(uuid.uuid4())
        self.objects[(kind, object_id)] = (owner_id, {"id": object_id, **fields})
        return object_id

    @hookimpl
    def resolve_object(self, kind: str, object_id: str, user: Any) -> dict[str, Any] | None:
        found = self.objects.get((kind, object_id))
        if found is None or found[0] != user.id:
            return None
        return found[1]


@contextmanager
def periods_stepped() -> Iterator[list[int]]:
    """Count the periods python-dateutil steps through while anything expands a rule
    (each one asks its private ``_iterinfo`` for that period's days, empty periods too):
    the work an expansion costs, the same on an idle machine and a loaded one.
    ``counted[0]`` is the count so far."""
    counted = [0]
    info = dateutil_rrule._iterinfo
    names = ("ydayset", "mdayset", "wdayset", "ddayset")
    originals = {name: getattr(info, name) for name in names}

    def counting(original: Any) -> Any:
        def dayset(self: Any, *args: Any) -> Any:
            counted[0] += 1
            return original(self, *args)

        return dayset

    for name, original in originals.items():
        setattr(info, name, counting(original))
    try:
        yield counted
    finally:
        for name, original in originals.items():
            setattr(info, name, original)
