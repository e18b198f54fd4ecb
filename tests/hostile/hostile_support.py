"""Helpers of the hostile suite: a signed-in caller, the OpenAPI walk, valid bodies.

The routes come from the app's own ``/openapi.json``. Kinds of object are discovered
from it too: a ``POST C`` answering 201 next to an item route ``C/{param}`` creates the
objects ``{param}`` names. ``CREATE_BODIES`` gives a valid body where the schema alone
cannot (an end after a start, an http URL…); elsewhere a minimal body is built from
the schema, so a new plugin's plain create route needs no entry.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from auth_support import PASSWORD, bearer
from quart import Quart

API = "/api/v1"
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
PARAM = re.compile(r"\{([^}]+)\}")

# Valid create bodies the schema cannot give (``{marker}`` is the owner's secret text;
# ``{today}`` is today (UTC) when seeded, so the schedule's default window lists the
# block even when the suite runs across midnight).
CREATE_BODIES: dict[str, dict[str, Any]] = {
    f"{API}/courses": {
        "title": "{marker} course",
        "description": "{marker} description",
        "modules": [{"title": "{marker} module", "topics": [{"title": "{marker} topic"}]}],
    },
    f"{API}/goals": {
        "title": "{marker} goal",
        "description": "{marker} why",
        "tasks": [{"title": "{marker} first task"}],
    },
    f"{API}/goals/{{goal_id}}/tasks": {"title": "{marker} task"},
    f"{API}/schedule": {
        "title": "{marker} block",
        "notes": "{marker} notes",
        "start_at": "{today}T00:01:00Z",
        "end_at": "{today}T00:02:00Z",
        "allow_overlap": True,
    },
    f"{API}/reminders": {"message": "{marker} reminder", "remind_at": "2030-01-07T09:00:00Z"},
    f"{API}/resources": {
        "title": "{marker} resource",
        "url": "https://example.com/{marker}",
        "type": "article",
        "description": "{marker} summary",
        "tags": ["{marker}"],
    },
}


class Caller:
    """One registered user and a test client carrying their bearer token."""

    def __init__(self, app: Quart, email: str, tokens: dict[str, Any], user_id: str) -> None:
        self.app, self.email, self.tokens, self.id = app, email, tokens, user_id
        self.client = app.test_client()
        self.headers = bearer(tokens["access_token"])

    @classmethod
    async def register(cls, app: Quart, email: str, tier: str = "premium_yearly") -> Caller:
        """A new account, premium by default so no route stops at the tier check."""
        from maigie_core.auth.state import auth_state
        from maigie_core.tiers.subscriptions import change_tier

        client = app.test_client()
        answer = await client.post(
            f"{API}/auth/register", json={"email": email, "password": PASSWORD, "name": "Hostile"}
        )
        assert answer.status_code == 201, await answer.get_data(as_text=True)
        tokens = await answer.get_json()
        me = await client.get(f"{API}/auth/me", headers=bearer(tokens["access_token"]))
        user_id = (await me.get_json())["id"]
        if tier != "free":
            async with app.app_context():
                await change_tier(auth_state(), user_id, tier, actor_id=None, source="cli")
        return cls(app, email, tokens, user_id)

    async def call(self, method: str, path: str, **kwargs: Any) -> tuple[int, str, Any]:
        """(status, raw text, parsed JSON or None) of one request as this user."""
        headers = {**self.headers, **kwargs.pop("headers", {})}
        response = await self.client.open(path, method=method, headers=headers, **kwargs)
        text = await response.get_data(as_text=True)
        content_type = response.headers.get("Content-Type", "")
        body = await response.get_json() if "json" in content_type and text else None
        return response.status_code, text, body


async def openapi(app: Quart) -> dict[str, Any]:
    response = await app.test_client().get("/openapi.json")
    assert response.status_code == 200
    doc: dict[str, Any] = await response.get_json()
    return doc


def operations(doc: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(METHOD, path template, operation) of every documented HTTP operation."""
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if method.upper() in METHODS:
                yield method.upper(), path, op


def path_params(path: str) -> list[str]:
    return PARAM.findall(path)


def fill(path: str, values: dict[str, str]) -> str:
    return PARAM.sub(lambda m: values[m.group(1)], path)


def resolve(doc: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def body_schema(doc: dict[str, Any], op: dict[str, Any]) -> dict[str, Any] | None:
    content = op.get("requestBody", {}).get("content", {}).get("application/json")
    return resolve(doc, content["schema"]) if content else None


def query_params(op: dict[str, Any]) -> list[dict[str, Any]]:
    return [p for p in op.get("parameters", []) if p.get("in") == "query"]


def minimal(doc: dict[str, Any], schema: dict[str, Any], marker: str) -> Any:
    """The smallest value valid for ``schema``: required properties only, strings marked."""
    schema = resolve(doc, schema)
    if "anyOf" in schema:
        options = [s for s in schema["anyOf"] if s.get("type") != "null"]
        return minimal(doc, options[0], marker) if options else None
    if "enum" in schema:
        return schema["enum"][0]
    if "default" in schema and schema.get("type") != "object":
        return schema["default"]
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        props = schema.get("properties", {})
        required = list(schema.get("required", []))
        for branch in schema.get("oneOf", [])[:1]:  # "exactly one of": the first one
            required += branch.get("required", [])
        return {name: minimal(doc, props[name], marker) for name in required}
    if kind == "array":
        return [minimal(doc, schema["items"], marker) for _ in range(schema.get("minItems", 0))]
    if kind == "integer" or kind == "number":
        return schema.get("minimum", 1)
    if kind == "boolean":
        return False
    fmt = schema.get("format")
    if fmt == "date-time":
        return "2030-01-07T10:00:00Z"
    if fmt == "date":
        return "2030-01-07"
    if fmt == "uuid":
        return str(uuid.uuid4())
    if fmt in ("uri", "url"):
        return f"https://example.com/{marker}"
    return f"{marker} text"[: schema.get("maxLength", 200)]


def marked(value: Any, marker: str, placeholder: str = "{marker}") -> Any:
    """``value`` with every ``placeholder`` replaced by ``marker``."""
    if isinstance(value, str):
        return value.replace(placeholder, marker)
    if isinstance(value, list):
        return [marked(v, marker, placeholder) for v in value]
    if isinstance(value, dict):
        return {k: marked(v, marker, placeholder) for k, v in value.items()}
    return value


def valid_body(doc: dict[str, Any], path: str, op: dict[str, Any], marker: str) -> Any:
    if path in CREATE_BODIES:
        today = datetime.now(UTC).date().isoformat()
        return marked(marked(CREATE_BODIES[path], marker), today, "{today}")
    schema = body_schema(doc, op)
    return None if schema is None else minimal(doc, schema, marker)


def kinds(doc: dict[str, Any]) -> list[tuple[str, str]]:
    """(collection path, id parameter) of every kind a POST creates (201), parents first."""
    found = []
    for method, path, op in operations(doc):
        if method != "POST" or "201" not in op.get("responses", {}):
            continue
        for other in doc["paths"]:
            tail = other[len(path) :]
            if other.startswith(path + "/") and PARAM.fullmatch(tail[1:]):
                found.append((path, path_params(other)[-1]))
    return sorted(found, key=lambda kind: kind[0].count("/"))


def all_strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from all_strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from all_strings(v)


def ids_in(value: Any) -> dict[str, str]:
    """Every ``*_id``/``id`` the objects in ``value`` carry, by the key's parameter name."""
    out: dict[str, str] = {}
    if isinstance(value, dict):
        for key, v in value.items():
            if key.endswith("_id") and isinstance(v, str):
                out.setdefault(key, v)
            else:
                for name, found in ids_in(v).items():
                    out.setdefault(name, found)
    elif isinstance(value, list):
        for v in value:
            for name, found in ids_in(v).items():
                out.setdefault(name, found)
    return out


def id_forms(value: str) -> set[str]:
    """An id as it may appear in a body: as sent, canonical and hex (goals store hex)."""
    forms = {value}
    try:
        parsed = uuid.UUID(value)
    except ValueError:
        return forms
    return forms | {str(parsed), parsed.hex}
