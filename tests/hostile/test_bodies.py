# ruff: noqa: RUF001 (look-alike characters are the point of these tests)
"""Hostile request bodies on every route that takes one (from the OpenAPI document).

Oversized, deeply nested, not UTF-8, not JSON, wrong or missing content types: each
is a 4xx in the error envelope, never a 500. Unicode edge cases in every string field
of every create route: refused with 422, or stored and returned exactly as sent.
"""

from __future__ import annotations

import json
from typing import Any

from hostile_support import (
    API,
    Caller,
    body_schema,
    fill,
    kinds,
    openapi,
    operations,
    resolve,
    valid_body,
)
from seeding import seed

from maigie_core.runtime import runtime


def _envelope(status: int, body: Any, where: str) -> None:
    assert 400 <= status < 500, where
    assert isinstance(body, dict) and body.get("status_code") == status, (where, body)
    assert body["code"] and body["request_id"], (where, body)


async def _body_routes(app: Any, caller: Caller) -> list[tuple[str, str, str, Any]]:
    """(method, template, concrete url, valid body) of every operation with a JSON body."""
    doc = await openapi(app)
    seeded = await seed(caller, doc, "Mine")
    out = []
    for method, path, op in operations(doc):
        admin_only = path.startswith(f"{API}/admin/")  # 403 before any body is read
        if body_schema(doc, op) is not None and path.startswith(API) and not admin_only:
            values = {**seeded.ids, "provider": "google", "token": "x"}
            out.append((method, path, fill(path, values), valid_body(doc, path, op, "Mine")))
    assert len(out) >= 20
    return out


async def test_oversized_bodies_are_413(full_app: Any, alice: Caller) -> None:
    limit = runtime(full_app).settings.MAX_BODY_BYTES
    padding = "x" * (limit + 1)
    for method, path, url, _ in await _body_routes(full_app, alice):
        status, _, body = await alice.call(
            method,
            url,
            data=f'{{"title": "{padding}"}}',
            headers={"Content-Type": "application/json"},
        )
        assert status == 413, (method, path, status)
        _envelope(status, body, f"{method} {path}")
        assert body["code"] == "PAYLOAD_TOO_LARGE"


NESTED = {
    "arrays": "[" * 100_000 + "]" * 100_000,
    "objects": '{"a":' * 100_000 + "1" + "}" * 100_000,
    "unclosed": "[" * 100_000,
}


async def test_deeply_nested_json_is_400(full_app: Any, alice: Caller) -> None:
    for method, path, url, _ in await _body_routes(full_app, alice):
        for name, text in NESTED.items():
            status, _, body = await alice.call(
                method, url, data=text, headers={"Content-Type": "application/json"}
            )
            where = f"{method} {path} {name}"
            _envelope(status, body, where)
            assert status in (400, 422), where


MALFORMED_JSON = [
    b'{"title": "\xff\xfe caf\xe9"}',  # not UTF-8
    b"\xef\xbb\xbf{}",  # a byte-order mark
    b"{'title': 1}",
    b'{"title": "x",}',
    b'{"title": "x"',
    b"\x00",
]

NOT_JSON_TYPES = [
    "text/plain",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=b",
    "application/xml",
    "application/octet-stream",
    "application/jsonp",
    None,  # no Content-Type at all
]


async def test_malformed_json_is_400(full_app: Any, alice: Caller) -> None:
    for method, path, url, _ in await _body_routes(full_app, alice):
        for data in MALFORMED_JSON:
            status, _, body = await alice.call(
                method, url, data=data, headers={"Content-Type": "application/json"}
            )
            where = f"{method} {path} {data[:20]!r}"
            _envelope(status, body, where)
            assert (status, body["code"]) == (400, "BAD_REQUEST"), where


async def test_a_body_that_is_not_json_is_415(full_app: Any, alice: Caller) -> None:
    """Even valid JSON, when declared as anything else (or not declared): one answer."""
    for method, path, url, valid in await _body_routes(full_app, alice):
        for content_type in NOT_JSON_TYPES:
            headers = {"Content-Type": content_type} if content_type else {}
            status, _, body = await alice.call(
                method, url, data=json.dumps(valid).encode(), headers=headers
            )
            where = f"{method} {path} {content_type}"
            _envelope(status, body, where)
            assert (status, body["code"]) == (415, "UNSUPPORTED_MEDIA_TYPE"), where


async def test_a_missing_body_is_422_everywhere(full_app: Any, alice: Caller) -> None:
    """No body at all is one answer on every route: 422 VALIDATION_ERROR (see README)."""
    doc = await openapi(full_app)
    answers = {}
    for method, path, url, _ in await _body_routes(full_app, alice):
        required = any(
            body_schema(doc, op) and body_schema(doc, op).get("required")  # type: ignore[union-attr]
            for m, p, op in operations(doc)
            if (m, p) == (method, path)
        )
        if not required or path.startswith(f"{API}/admin"):
            continue
        for headers in ({}, {"Content-Type": "application/json"}):
            status, _, body = await alice.call(method, url, data=b"", headers=headers)
            answers[f"{method} {path} {headers}"] = (status, body.get("code") if body else None)
    wrong = {k: v for k, v in answers.items() if v != (422, "VALIDATION_ERROR")}
    assert not wrong, wrong


EDGES = {
    "nul": "a\x00b",
    "lone high surrogate": "\\ud800",  # raw JSON escapes: Python cannot encode these
    "lone low surrogate": "x\\udfff",
    "reversed surrogates": "\\udc00\\ud800",
    "rtl override": "abc\u202edcba",
    "zero width": "\u200b\u200c\u200d\ufeff",
    "emoji": "😀👩‍👩‍👧‍👦🏳️‍🌈",
    "combining": "e\u0301\u0327\u0308",
    "noncharacter": "\uffff\ufffe",
    "astral": "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 \U0010fffd",
    "controls": "\x07\x1b[31m\x7f",
    "line separators": "a\u2028b\u2029c\r\nd",
}


def _encode(body: dict[str, Any], field: str, value: str) -> bytes:
    """``body`` as JSON with ``field`` set to ``value`` (``\\uXXXX`` kept as raw escapes)."""
    text = json.dumps({**body, field: "@@EDGE@@"}, ensure_ascii=False)
    escaped = json.dumps(value, ensure_ascii=False)[1:-1].replace("\\\\u", "\\u")
    return text.replace("@@EDGE@@", escaped).encode("utf-8", "surrogatepass")


async def test_unicode_edge_cases_in_every_string_field(full_app: Any, alice: Caller) -> None:
    doc = await openapi(full_app)
    seeded = await seed(alice, doc, "Mine")
    ops = {(m, p): op for m, p, op in operations(doc)}
    stored = 0
    for collection, param in kinds(doc):
        body = valid_body(doc, collection, ops[("POST", collection)], "Mine")
        item = next(p for p in doc["paths"] if p.startswith(collection + "/{"))
        for field, value in body.items():
            if not isinstance(value, str):
                continue
            for name, edge in EDGES.items():
                data = _encode(body, field, edge)
                status, text, created = await alice.call(
                    "POST",
                    fill(collection, seeded.ids),
                    data=data,
                    headers={"Content-Type": "application/json"},
                )
                where = f"POST {collection} {field}={name}"
                if status != 201:
                    # 422 for a rule of the field, 400 for JSON a parser refuses (lone
                    # surrogates are not Unicode text: RFC 8259 §8.2, I-JSON)
                    assert status in (400, 422), (where, status, text[:300])
                    _envelope(status, created, where)
                    continue
                sent = json.loads(data)[field]
                assert created[field] == sent, (where, created[field], sent)
                _, _, again = await alice.call(
                    "GET", fill(item, {**seeded.ids, param: created["id"]})
                )
                assert again[field] == sent, (where, "after a read", again[field], sent)
                stored += 1
    assert stored >= 20  # most edge cases are legitimate text and must be kept


# JSON values of the wrong type for a field of each JSON Schema type (pydantic's lax mode
# took them: true as 1, "50" as fifty, 1 and "yes" as true, a number as a date-time).
MISTYPED: dict[str, list[Any]] = {
    "integer": [True, False, "5", 1.5],
    "number": [True, "1.5"],
    "boolean": [1, 0, "true", "yes", 1.0],
    "date": [0, 20300101],
    "date-time": [0, 1900000000],
}


def _field_type(doc: dict[str, Any], schema: dict[str, Any]) -> str | None:
    options = [resolve(doc, s) for s in schema.get("anyOf", [schema])]
    kinds_ = {o.get("format") or o.get("type") for o in options if o.get("type") != "null"}
    return kinds_.pop() if len(kinds_) == 1 else None


async def test_a_value_of_the_wrong_json_type_is_422_naming_the_field(
    full_app: Any, alice: Caller
) -> None:
    """Every top-level field of every body, as its published schema types it."""
    doc = await openapi(full_app)
    ops = {(m, p): op for m, p, op in operations(doc)}
    failures = []
    tried = 0
    for method, path, url, valid in await _body_routes(full_app, alice):
        schema = body_schema(doc, ops[(method, path)]) or {}
        for field, prop in schema.get("properties", {}).items():
            for value in MISTYPED.get(_field_type(doc, prop) or "", []):
                status, text, body = await alice.call(method, url, json={**valid, field: value})
                tried += 1
                named = status == 422 and any(field in d["loc"] for d in body["detail"])
                if not named:
                    failures.append(f"{method} {path} {field}={value!r}: {status} {text[:200]}")
    assert not failures, "\n".join(failures)
    assert tried >= 80, tried
