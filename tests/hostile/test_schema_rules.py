"""The OpenAPI document states the rules the routes enforce on bodies.

A body valid by the published schema must not be refused for a rule the schema hides:
a field documented as nullable must accept ``null``, and an "exactly one of" rule
must be in the schema (``oneOf``), so the minimal body built from it is accepted.
"""

from __future__ import annotations

from typing import Any

from hostile_support import API, Caller, body_schema, fill, openapi, operations, resolve, valid_body
from seeding import seed


def _nullable(doc: dict[str, Any], prop: dict[str, Any]) -> bool:
    prop = resolve(doc, prop)
    return any(option.get("type") == "null" for option in prop.get("anyOf", []))


async def test_documented_nullable_fields_accept_null(full_app: Any, alice: Caller) -> None:
    doc = await openapi(full_app)
    mine = await seed(alice, doc, "Mine")
    failures = []
    tried = 0
    for method, path, op in operations(doc):
        schema = body_schema(doc, op)
        if schema is None or not path.startswith(API) or path.startswith(f"{API}/admin"):
            continue
        if method == "DELETE" or "{provider}" in path or "{token}" in path:
            continue
        base = valid_body(doc, path, op, "Mine")
        for name, prop in schema.get("properties", {}).items():
            if not _nullable(doc, prop) or not isinstance(base, dict):
                continue
            status, _, body = await alice.call(
                method, fill(path, mine.ids), json={**base, name: None}
            )
            tried += 1
            if status != 422:
                continue
            blamed = [
                d for d in body["detail"] if d["loc"][-1:] == [name] or "null" in d["msg"].lower()
            ]
            if blamed:
                failures.append(f"{method} {path} {name}=null documented, refused: {blamed}")
    assert not failures, "\n".join(failures)
    assert tried >= 30, tried


async def test_minimal_bodies_from_the_schema_are_accepted(full_app: Any, alice: Caller) -> None:
    """Bodies with only the schema's required fields (and a ``oneOf`` branch) are valid."""
    doc = await openapi(full_app)
    mine = await seed(alice, doc, "Mine")
    failures = []
    for method, path, op in operations(doc):
        schema = body_schema(doc, op)
        if schema is None or not path.startswith(f"{API}/") or path.startswith(f"{API}/admin"):
            continue
        if path.startswith(f"{API}/auth") or path.endswith("/enroll"):
            continue  # credentials and share codes: a made-up value is rightly refused
        status, text, _ = await alice.call(
            method, fill(path, mine.ids), json=valid_body(doc, path, op, "Mine")
        )
        if status == 422:
            failures.append(f"{method} {path}: {text[:300]}")
    assert not failures, "\n".join(failures)
