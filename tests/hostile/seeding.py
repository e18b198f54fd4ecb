"""One object of every kind the OpenAPI document lets a user create, for one user."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from hostile_support import API, Caller, fill, id_forms, kinds, operations, valid_body

from maigie_core.notifications import service as notifications


@dataclass
class Seeded:
    """What one user owns: ids by path parameter name, and every text that is theirs."""

    owner: Caller
    marker: str
    ids: dict[str, str] = field(default_factory=dict)
    objects: dict[str, Any] = field(default_factory=dict)

    def secrets(self) -> set[str]:
        found = {self.marker, self.owner.email}
        for value in self.ids.values():
            found |= id_forms(value)
        return found

    def leaked(self, text: str) -> list[str]:
        """Which of the owner's secrets appear in ``text`` (lowercased hex forms too)."""
        lowered = text.lower()
        return sorted(s for s in self.secrets() if s.lower() in lowered)


async def _topic(seeded: Seeded) -> str:
    course = seeded.objects["course_id"]
    return str(course["modules"][0]["topics"][0]["id"])


async def _conversation(seeded: Seeded) -> str:
    status, text, body = await seeded.owner.call(
        "POST", f"{API}/ai/chat", json={"message": f"{seeded.marker} question"}
    )
    assert status == 200, text
    return str(body["conversation_id"])


async def _notification(seeded: Seeded) -> str:
    async with seeded.owner.app.app_context():
        note = await notifications.notify(
            seeded.owner.id, "hostile", f"{seeded.marker} notification", f"{seeded.marker} body"
        )
    return str(note["id"])


async def _user(seeded: Seeded) -> str:
    return seeded.owner.id


# Objects no generic ``POST C`` + ``C/{param}`` pair creates: how to get one's id.
EXTRA_SOURCES: dict[str, Callable[[Seeded], Awaitable[str]]] = {
    "topic_id": _topic,
    "conversation_id": _conversation,
    "notification_id": _notification,
    "user_id": _user,
}


async def seed(owner: Caller, doc: dict[str, Any], marker: str) -> Seeded:
    """Create one object of every kind as ``owner``; fail when a kind cannot be created."""
    seeded = Seeded(owner, marker)
    ops = {(m, p): op for m, p, op in operations(doc)}
    for collection, param in kinds(doc):
        path = fill(collection, seeded.ids)
        body = valid_body(doc, collection, ops[("POST", collection)], marker)
        status, text, created = await owner.call("POST", path, json=body)
        assert status == 201, (
            f"POST {collection} with {body} answered {status} {text[:300]}: "
            "add a valid body to CREATE_BODIES in tests/hostile/hostile_support.py"
        )
        seeded.ids[param] = str(created["id"])
        seeded.objects[param] = created
    for param, source in EXTRA_SOURCES.items():
        if param not in seeded.ids:
            seeded.ids[param] = await source(seeded)
    return seeded
