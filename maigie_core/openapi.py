"""The OpenAPI document: quart-schema's, plus the error envelope on every operation.

Every operation gets a ``default`` response with the :class:`ErrorResponse` envelope
(and a documented 422 where it takes a body or a query string), so clients see the one
error format the app actually sends; one that is not a GET and documents no success
response answers 204 with no body, and says so; a request body is marked required (a route
validating one refuses a request without it). Extra component schemas (the WebSocket protocol's
messages) can be published through ``Runtime.extra_schemas``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel
from quart_schema import OpenAPIProvider

from maigie_core.errors import ErrorResponse

_ERROR_REF = {"$ref": "#/components/schemas/ErrorResponse"}
_ERROR_CONTENT = {"application/json": {"schema": _ERROR_REF}}
_METHODS = ("get", "post", "put", "patch", "delete")


def exactly_one_of(*names: str) -> dict[str, Any]:
    """JSON Schema stating "exactly one of these fields, not null" (a model's ``oneOf``).

    For ``model_config = ConfigDict(json_schema_extra=exactly_one_of("a", "b"))`` on a
    model whose validator enforces the rule: the document then says what the route
    accepts, so a body valid by the schema is never refused with 422.
    """
    return {
        "oneOf": [
            {"required": [name], "properties": {name: {"not": {"type": "null"}}}} for name in names
        ]
    }


def at_least_one_of(*names: str) -> dict[str, Any]:
    """JSON Schema stating "at least one of these fields, not null" (``anyOf``)."""
    return {"anyOf": exactly_one_of(*names)["oneOf"]}


def non_nullable(
    *names: str, also: dict[str, Any] | None = None
) -> Callable[[dict[str, Any]], None]:
    """JSON Schema fix-up: ``names`` may be left out but not sent as null.

    For ``json_schema_extra`` on a patch model whose fields are typed ``X | None = None``
    (absent = unchanged) and whose validator refuses an explicit null: pydantic documents
    them as nullable, so a body valid by the schema was refused with 422. ``also`` is
    merged into the schema (e.g. :func:`at_least_one_of`).
    """

    def strip(schema: dict[str, Any]) -> None:
        for name in names:
            field = schema["properties"][name]
            options = [o for o in field.pop("anyOf", [field]) if o.get("type") != "null"]
            field.pop("default", None)
            if options and options[0] is not field:
                field.update(options[0] if len(options) == 1 else {"anyOf": options})
        schema.update(also or {})

    return strip


#: For ``Field(json_schema_extra={"pattern": NOT_BLANK})`` on text that is stripped and
#: must not end up empty: some character that is neither a space nor a control, no NUL.
NOT_BLANK = "^[^\\u0000]*[^\\s\\x00-\\x1f\\x7f][^\\u0000]*$"

# No text the API takes may hold NUL (PostgreSQL cannot store it; the middleware refuses
# it with 422): every plain string of the document says so.
_NO_NUL = "^[^\\u0000]*$"


def _forbid_nul(node: Any) -> None:
    if isinstance(node, list):
        for item in node:
            _forbid_nul(item)
    elif isinstance(node, dict):
        plain = not any(k in node for k in ("pattern", "format", "enum", "const", "$ref"))
        if node.get("type") == "string" and plain:
            node["pattern"] = _NO_NUL
        for value in node.values():
            _forbid_nul(value)


def component_schemas(*models: type[BaseModel]) -> dict[str, Any]:
    """JSON Schemas of ``models`` for ``components.schemas`` (nested ones hoisted)."""
    out: dict[str, Any] = {}
    for model in models:
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        out.update(schema.pop("$defs", {}))
        out[model.__name__] = schema
    return out


class MaigieOpenAPIProvider(OpenAPIProvider):
    extra_schemas: dict[str, Any] = {}

    def schema(self) -> dict[str, Any]:
        document = super().schema()
        components = document["components"]["schemas"]
        components.update(component_schemas(ErrorResponse))
        runtime = self._app.extensions.get("maigie")
        components.update(getattr(runtime, "extra_schemas", {}) or {})
        _forbid_nul(components)
        for path_item in document["paths"].values():
            for method in _METHODS:
                operation = path_item.get(method)
                if operation is None:
                    continue
                responses = {str(k): v for k, v in operation.get("responses", {}).items()}
                operation["responses"] = responses
                if method != "get" and not any(code.startswith("2") for code in responses):
                    # a route that documents no success model returns ("", 204)
                    responses["204"] = {"description": "Done: no content"}
                responses.setdefault(
                    "default", {"description": "Error (the envelope)", "content": _ERROR_CONTENT}
                )
                _forbid_nul([operation.get("requestBody"), operation.get("parameters")])
                if "requestBody" in operation:
                    # A route validated with ``validate_request`` refuses a missing body
                    # (400/422): say so, or clients and fuzzers send none as "valid".
                    operation["requestBody"]["required"] = True
                if "requestBody" in operation or operation.get("parameters"):
                    responses.setdefault(
                        "422", {"description": "Validation error", "content": _ERROR_CONTENT}
                    )
        return document
