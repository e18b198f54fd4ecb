"""Dates and date-times at the ends of the calendar in every field that takes one.

Python's datetimes end at years 1 and 9999; converting ``9999-12-31T23:59:59-14:00`` to
UTC, or adding a day to ``9999-12-31``, raises ``OverflowError``. Fuzzing a served app
found that 500 in the schedule, reminders, goal tasks and the assistant. Every body
field documented as ``date``/``date-time`` (nested ones too) and every query parameter
taking a moment, on every route (from the OpenAPI document), is sent each edge value:
the answer is a 2xx or a 4xx envelope, never a 500.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from hostile_support import (
    API,
    Caller,
    body_schema,
    fill,
    openapi,
    operations,
    query_params,
    resolve,
    valid_body,
)
from seeding import seed

DATE_TIMES = [
    "0001-01-01T00:00:00+14:00",
    "0001-01-01T00:00:00Z",
    "9999-12-31T23:59:59-14:00",
    "9999-12-31T23:59:59Z",
    "0001-01-01T00:00:00",
    "9999-12-31T23:59:59",
]
DATES = ["0001-01-01", "9999-12-31", "9999-12-25"]
# Query parameters typed as plain strings that the route reads as a moment.
MOMENT_PARAMS = {"date", "start", "end", "occurrence"}


def _formats(doc: dict[str, Any], schema: dict[str, Any]) -> set[str]:
    schema = resolve(doc, schema)
    found = {schema["format"]} if "format" in schema else set()
    for option in schema.get("anyOf", []):
        found |= _formats(doc, option)
    return found


def _moment_fields(
    doc: dict[str, Any], schema: dict[str, Any], base: Any
) -> Iterator[tuple[list[Any], set[str]]]:
    """(path into the body, formats) of every date/date-time field, one level of nesting."""
    schema = resolve(doc, schema)
    for name, prop in schema.get("properties", {}).items():
        formats = _formats(doc, prop) & {"date", "date-time"}
        if formats:
            yield [name], formats
        items = resolve(doc, prop).get("items")
        if items and isinstance(base, dict):
            for inner, inner_formats in _moment_fields(doc, items, {}):
                yield [name, 0, *inner], inner_formats


def _with(body: Any, path: list[Any], value: str) -> Any:
    """A copy of ``body`` with ``value`` at ``path`` (a list gets one item)."""
    body = dict(body or {})
    head, *rest = path
    if not rest:
        body[head] = value
        return body
    index, *inner = rest
    items = list(body.get(head) or [{"title": "edge"}])
    items[index] = _with(items[index] if index < len(items) else {"title": "edge"}, inner, value)
    body[head] = items
    return body


def _envelope_or_success(status: int, body: Any) -> bool:
    if status < 400:
        return status < 300
    return status < 500 and isinstance(body, dict) and body.get("status_code") == status


async def test_calendar_edges_in_every_date_field_and_parameter(
    full_app: Any, alice: Caller
) -> None:
    doc = await openapi(full_app)
    mine = await seed(alice, doc, "Mine")
    values = {**mine.ids, "provider": "google", "token": "x"}
    failures = []
    tried = 0
    for method, path, op in operations(doc):
        if not path.startswith(API) or path.startswith(f"{API}/admin") or "{token}" in path:
            continue
        url = fill(path, values)
        schema = body_schema(doc, op)
        base = valid_body(doc, path, op, "Mine") if schema is not None else None
        for field, formats in _moment_fields(doc, schema or {}, base):
            for edge in (DATE_TIMES if "date-time" in formats else []) + DATES:
                status, text, answer = await alice.call(method, url, json=_with(base, field, edge))
                tried += 1
                if not _envelope_or_success(status, answer):
                    failures.append(f"{method} {path} {field}={edge}: {status} {text[:160]}")
        for param in query_params(op):
            if param["name"] not in MOMENT_PARAMS and not _formats(doc, param["schema"]):
                continue
            for edge in DATE_TIMES + DATES:
                query = {param["name"]: edge}
                if param["name"] in ("start", "end"):  # they go together
                    query = {"start": edge, "end": edge.replace("T23:59:59", "T23:59:58")}
                kwargs = {"json": base} if base is not None else {}
                status, text, answer = await alice.call(method, url, query_string=query, **kwargs)
                tried += 1
                if not _envelope_or_success(status, answer):
                    failures.append(f"{method} {path}?{query}: {status} {text[:160]}")
    assert not failures, "\n".join(failures)
    assert tried >= 100, tried
