"""Action payloads: JSON Schemas for models, and fitting a rule-made payload to a schema.

The offline provider writes payloads in its own words (``start_at``, ``remind_at``…);
``fit`` keeps the fields the action's schema declares, under the name it declares
(known synonyms are tried in order), so small naming differences between plugins do
not matter. Validation against the action's pydantic model still decides.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from pydantic import BaseModel

from maigie_core import AIAction

SYNONYMS: dict[str, tuple[str, ...]] = {
    "start_at": ("starts_at", "start", "start_time", "begins_at", "when"),
    "end_at": ("ends_at", "end", "end_time"),
    "minutes": ("duration_minutes", "duration", "length_minutes"),
    "remind_at": ("at", "when", "time", "due_at", "scheduled_at", "remind_time"),
    "message": ("text", "title", "note", "body"),
    "week_start": ("start_date", "week_of", "start", "date", "week"),
    "topic": ("query", "q", "subject", "text"),
    "target_date": ("due_date", "deadline", "due"),
    "title": ("name",),
    "rrule": ("recurrence", "repeat"),
}


@lru_cache(maxsize=256)
def schema_of(payload: type[BaseModel]) -> dict[str, Any]:
    return payload.model_json_schema()


def properties(action: AIAction) -> dict[str, Any]:
    props: dict[str, Any] = schema_of(action.payload).get("properties", {})
    return props


def fit(action: AIAction | None, candidate: dict[str, Any]) -> dict[str, Any]:
    """``candidate`` with only the fields ``action`` declares (``None`` values dropped)."""
    values = {k: v for k, v in candidate.items() if v is not None}
    if action is None:
        return values
    props = properties(action)
    if not props:
        return values
    out: dict[str, Any] = {}
    for key, value in values.items():
        for name in (key, *SYNONYMS.get(key, ())):
            if name in props and name not in out:
                out[name] = value
                break
    return out


def tool(action: AIAction) -> dict[str, Any]:
    """The action as an OpenAI-compatible tool (function) definition."""
    parameters = dict(schema_of(action.payload))
    parameters.pop("title", None)
    parameters.setdefault("type", "object")
    parameters.setdefault("properties", {})
    return {
        "type": "function",
        "function": {
            "name": action.name,
            "description": action.description,
            "parameters": parameters,
        },
    }
