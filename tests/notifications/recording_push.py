"""A push provider for tests: records what it was given."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

SENT: list[tuple[str, dict[str, Any]]] = []


class RecordingPush:
    async def push(self, user_id: str, notification: Mapping[str, Any]) -> None:
        SENT.append((user_id, dict(notification)))


def factory(settings: Any) -> RecordingPush:
    return RecordingPush()
