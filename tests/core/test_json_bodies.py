"""JSON bodies are read as their schema types them (``maigie_core/bodies.py``).

Both ways a route takes a body — ``validate_body`` and ``json_body`` — refuse a value
of another JSON type (pydantic's lax mode took ``true`` as 1, ``"5"`` as five, ``1`` as
true, a number as a date-time) and accept what JSON Schema accepts: ``50.0`` is an
integer, ``5`` a number, strings carry dates, date-times, UUIDs and enums.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any, Literal

import pytest
from plugin_kit import plugin_serving
from pydantic import BaseModel, ConfigDict, Field
from quart import Blueprint

from maigie_core.bodies import json_body, validate_body

bp = Blueprint("bodies", __name__, url_prefix="/api/v1/bodies")


class Thing(BaseModel):
    model_config = ConfigDict(extra="forbid")

    count: int = Field(0, ge=0, le=100)
    done: bool = False
    ratio: float = 0.0
    on: date | None = None
    at: datetime | None = None
    ref: uuid.UUID | None = None
    kind: Literal["a", "b"] = "a"
    scores: list[int] = []


@bp.post("/decorated")
@validate_body(Thing)
async def decorated(data: Thing) -> dict[str, Any]:
    return data.model_dump(mode="json")


@bp.post("/awaited")
async def awaited() -> dict[str, Any]:
    return (await json_body(Thing)).model_dump(mode="json")


ROUTES = ("/api/v1/bodies/decorated", "/api/v1/bodies/awaited")


@pytest.fixture
async def client(make_app: Any) -> Any:
    app = make_app(plugins={"bodies": plugin_serving(bp)})
    async with app.test_app():
        yield app.test_client()


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("count", True),
        ("count", False),
        ("count", "5"),
        ("count", 5.5),
        ("done", 1),
        ("done", 0),
        ("done", "true"),
        ("done", "yes"),
        ("ratio", True),
        ("ratio", "1.5"),
        ("on", 0),
        ("at", 1900000000),
        ("ref", 5),
        ("kind", 1),
        ("scores", [1, True]),
    ],
)
async def test_a_value_of_another_json_type_is_422_naming_it(
    client: Any, route: str, field: str, value: Any
) -> None:
    response = await client.post(route, json={field: value})
    assert response.status_code == 422
    body = await response.get_json()
    assert body["code"] == "VALIDATION_ERROR"
    assert [d["loc"][0] for d in body["detail"]] == [field]


@pytest.mark.parametrize("route", ROUTES)
async def test_json_values_of_the_schema_types_pass(client: Any, route: str) -> None:
    ref = str(uuid.uuid4())
    sent = {
        "count": 7,
        "done": True,
        "ratio": 2,  # an integer is a number
        "on": "2030-01-02",
        "at": "2030-01-02T03:04:05Z",
        "ref": ref,
        "kind": "b",
        "scores": [1, 2],
    }
    response = await client.post(route, json=sent)
    assert response.status_code == 200
    assert await response.get_json() == {**sent, "ratio": 2.0}


@pytest.mark.parametrize("route", ROUTES)
async def test_a_number_with_a_zero_fraction_is_an_integer(client: Any, route: str) -> None:
    """As JSON Schema says (Python's json writes 50.0 for a float fifty)."""
    response = await client.post(route, json={"count": 50.0, "scores": [1.0, 2]})
    assert response.status_code == 200
    assert await response.get_json() == {
        **Thing().model_dump(mode="json"),
        "count": 50,
        "scores": [1, 2],
    }
    response = await client.post(route, json={"count": 500.0})
    assert response.status_code == 422  # the range still holds


@pytest.mark.parametrize("route", ROUTES)
async def test_an_integral_number_is_not_reported_beside_a_real_error(
    client: Any, route: str
) -> None:
    response = await client.post(route, json={"count": 50.0, "done": "yes"})
    assert response.status_code == 422
    assert [d["loc"] for d in (await response.get_json())["detail"]] == [["done"]]


@pytest.mark.parametrize("route", ROUTES)
async def test_no_body_is_422_and_bytes_that_are_not_json_400(client: Any, route: str) -> None:
    response = await client.post(route)
    assert response.status_code == 422
    response = await client.post(
        route, data=b'{"count": ', headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert (await response.get_json())["code"] == "BAD_REQUEST"
