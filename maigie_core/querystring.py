"""Query strings read as the route documents them: one check before every route.

A route's query parameters are the model it gives ``validate_querystring`` or
``document_querystring`` (quart-schema; the OpenAPI document shows the same model).
Routes read them two ways — quart-schema's pydantic validation, or by hand from
``request.args`` where a model per request costs too much — which answered the same
query differently: a repeated ``?limit=5&limit=500`` was the first value on the
hand-parsed lists and a puzzling "Input should be a valid integer" elsewhere, and
pydantic's lax parsing of text took ``+5``, `` 5 ``, ``5.0`` and ``5_0`` (fifty) as
integers and ``1``/``0``/``yes``/``off``/``T``… as booleans, where the hand-parsed lists
refused them. :func:`check_query_string` runs before every route of the app, core and
plugins (called by the middleware's first ``before_request`` when there is a query
string), and answers the 422 envelope naming the parameter when

* a parameter is given more than once, unless its documented schema is an array
  (a multi-valued parameter; ``name[]`` is quart-schema's spelling of one);
* a documented integer is not written in decimal digits (``-?[0-9]+``);
* a documented boolean is not ``true`` or ``false``.

Everything else (ranges, enums, dates, unknown names) is the route's own validation.
"""

from __future__ import annotations

import functools
import re
from typing import Any

from pydantic import TypeAdapter
from quart import Quart, Request
from quart_schema.validation import QUART_SCHEMA_QUERYSTRING_ATTRIBUTE

from maigie_core.errors import ValidationFailed

_INTEGER = re.compile(r"-?[0-9]+")
_BOOLEANS = ("true", "false")


def _refused(name: str, message: str, kind: str) -> ValidationFailed:
    return ValidationFailed(detail=[{"loc": [name], "msg": message, "type": kind}])


@functools.cache
def _documented_types(model: Any) -> dict[str, str]:
    """Parameter name -> its JSON Schema type (``integer``, ``boolean``, ``array``…),
    ``""`` when it has several or none (a reference, a union)."""
    schema = TypeAdapter(model).json_schema()
    kinds = {}
    for name, prop in schema.get("properties", {}).items():
        types = {p.get("type") for p in prop.get("anyOf", [prop])} - {"null"}
        kinds[name] = types.pop() if len(types) == 1 and None not in types else ""
    return kinds


def _types_of_the_route(app: Quart, request: Request) -> dict[str, str]:
    rule = request.url_rule
    view = app.view_functions.get(rule.endpoint) if rule is not None else None
    model = getattr(view, QUART_SCHEMA_QUERYSTRING_ATTRIBUTE, None)
    return _documented_types(model) if model is not None else {}


def check_query_string(app: Quart, request: Request) -> None:
    """The 422 envelope for a repeated parameter or a lax integer or boolean (above)."""
    if request.url_rule is None:
        return  # no route (404) or not this method (405): routing answers that
    types = None
    # a MultiDict is a dict of value lists: read them as they are (``lists()`` copies each)
    for name, values in dict.items(request.args):
        if types is None:
            types = _types_of_the_route(app, request)
        kind = types.get(name.removesuffix("[]"), "")
        if len(values) > 1 and kind != "array":
            raise _refused(name, "given more than once; it takes one value", "repeated")
        if kind == "integer" and not all(_INTEGER.fullmatch(v) for v in values):
            raise _refused(name, "must be an integer written in digits", "int_parsing")
        if kind == "boolean" and not all(v in _BOOLEANS for v in values):
            raise _refused(name, "must be true or false", "bool_parsing")
