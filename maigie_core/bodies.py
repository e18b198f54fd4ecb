"""JSON request bodies read as their published schema reads them: one validation for all.

pydantic's lax mode coerced across JSON's types: ``true`` was 1 for an integer (a
goal's progress, a topic's minutes), ``1`` or ``"yes"`` true for a boolean, ``"50"``
fifty, ``false`` a number; bodies the OpenAPI document calls invalid were taken. A body
is validated here in pydantic's strict JSON mode — JSON's own types, with strings for
dates, date-times, UUIDs and enums, as JSON carries them — with the one leniency JSON
Schema has itself: a number with a zero fraction (``50.0``) is an integer.

Routes take a body through :func:`validate_body` (quart-schema's ``validate_request``,
strict; the view gets ``data``) or :func:`json_body` (awaited in the view, for routes
that document their body with ``document_request``). Either way: no body, or one that
does not meet the schema, is the 422 envelope naming the fields; bytes that are not JSON
(malformed, not UTF-8, lone surrogates, nested too deep) are 400.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from pydantic import BaseModel, ValidationError
from pydantic_core import from_json, to_json
from quart import current_app, request
from quart_schema import RequestSchemaValidationError, document_request

from maigie_core.errors import BadRequest

M = TypeVar("M", bound=BaseModel)
F = TypeVar("F", bound=Callable[..., Any])


def parse_body(model: type[M], raw: bytes) -> M:
    """``raw`` (a request body; empty is no body) validated as ``model``, strictly."""
    raw = raw.strip() or b"null"  # no body: the schema's 422, as every route answers
    try:
        return model.model_validate_json(raw, strict=True)
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_context=False)
        if any(error["type"] == "json_invalid" for error in errors):
            raise BadRequest("Malformed request body") from None
        if not any(_integral_number(error) for error in errors):
            raise RequestSchemaValidationError(exc) from None
    # JSON Schema's integers include 50.0: read such numbers as integers, then again
    try:
        return model.model_validate_json(to_json(_integral(from_json(raw))), strict=True)
    except ValidationError as exc:
        raise RequestSchemaValidationError(exc) from None


async def json_body(model: type[M]) -> M:
    """The request's JSON body validated as ``model`` (:func:`parse_body`)."""
    return parse_body(model, cast(bytes, await request.get_data(as_text=False)))


def validate_body(model: type[BaseModel]) -> Callable[[F], F]:
    """quart-schema's ``validate_request`` for JSON bodies, strict: the view gets
    ``data``, and the OpenAPI document shows ``model`` as the request body."""

    def decorator(func: F) -> F:
        @wraps(func)
        async def wrapper(*args: Any, **kwargs: Any) -> Any:
            data = await json_body(model)
            return await current_app.ensure_async(func)(*args, data=data, **kwargs)

        return document_request(model)(wrapper)  # type: ignore[return-value]

    return decorator


def _integral_number(error: Any) -> bool:
    value = error.get("input")
    return error["type"] == "int_type" and type(value) is float and value.is_integer()


def _integral(value: Any) -> Any:
    if type(value) is float and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {key: _integral(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_integral(item) for item in value]
    return value
