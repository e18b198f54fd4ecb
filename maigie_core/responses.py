"""JSON responses: RFC 3339 timestamps, and no per-response pydantic schema building.

quart-schema converts every returned dict or list through a fresh
``pydantic.TypeAdapter`` (≈250 µs a response, more than the rest of the request). Here
plain dicts and lists go straight to the JSON provider, which knows how to encode
models, dataclasses, UUIDs and datetimes; pydantic models and dataclasses returned
whole still go through quart-schema's conversion.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from typing import Any

from flask.json.provider import DefaultJSONProvider
from pydantic import BaseModel
from pydantic_core import to_jsonable_python
from quart import Quart
from quart_schema.conversion import convert_response_return_value


def rfc3339(value: datetime) -> str:
    """A timestamp as RFC 3339 UTC (naive values are UTC by convention)."""
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.isoformat(timespec="microseconds") + "Z"


class MaigieJSONProvider(DefaultJSONProvider):
    sort_keys = False
    ensure_ascii = False

    @staticmethod
    def default(o: Any) -> Any:
        if isinstance(o, datetime):
            return rfc3339(o)
        if isinstance(o, date):
            return o.isoformat()
        if isinstance(o, uuid.UUID):
            return str(o)
        if isinstance(o, BaseModel):
            return o.model_dump(mode="json")
        if dataclasses.is_dataclass(o) and not isinstance(o, type):
            return dataclasses.asdict(o)
        return to_jsonable_python(o)


def install_responses(app: Quart) -> None:
    """Use the Maigie JSON provider and skip the per-response TypeAdapter for dicts/lists."""
    app.json = MaigieJSONProvider(app)
    make_response: Callable[[Any], Awaitable[Any]] = Quart.make_response.__get__(app)

    async def fast_make_response(result: Any) -> Any:
        value = result[0] if isinstance(result, tuple) else result
        if not isinstance(value, dict | list | str | bytes):
            result = convert_response_return_value(result)
        return await make_response(result)

    app.make_response = fast_make_response  # type: ignore[method-assign]
