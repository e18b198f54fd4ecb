"""Query strings are read as each route documents them (``maigie_core/querystring.py``).

The same rules hold for a route validated by quart-schema, one that parses
``request.args`` by hand, and one that documents no parameters: a parameter given twice
is 422 naming it unless documented as an array; documented integers are digits,
documented booleans ``true``/``false``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest
from plugin_kit import plugin_serving
from pydantic import BaseModel, Field
from quart import Blueprint, request
from quart_schema import document_querystring, validate_querystring

bp = Blueprint("qs", __name__, url_prefix="/api/v1/qs")


class Filters(BaseModel):
    limit: int = Field(20, ge=1, le=100)
    done: bool | None = None
    q: str | None = None
    tag: list[str] = []


@bp.get("/validated")
@validate_querystring(Filters)
async def validated(query_args: Filters) -> dict[str, Any]:
    return query_args.model_dump()


@bp.get("/by-hand")
@document_querystring(Filters)
async def by_hand() -> dict[str, Any]:
    return {"limit": int(request.args.get("limit", "20")), "tag": request.args.getlist("tag")}


@bp.get("/undocumented")
async def undocumented() -> dict[str, Any]:
    return {"x": request.args.get("x")}


ROUTES = ("/api/v1/qs/validated", "/api/v1/qs/by-hand")


@pytest.fixture
async def client(make_app: Any) -> Any:
    app = make_app(plugins={"qs": plugin_serving(bp)})
    async with app.test_app():
        yield app.test_client()


async def refused(client: Any, url: str, name: str, kind: str) -> None:
    response = await client.get(url)
    assert response.status_code == 422, (url, await response.get_data(as_text=True))
    body = await response.get_json()
    assert body["code"] == "VALIDATION_ERROR"
    assert body["detail"] == [{"loc": [name], "msg": body["detail"][0]["msg"], "type": kind}]
    assert body["request_id"] == response.headers["X-Request-ID"]


@pytest.mark.parametrize("route", ROUTES)
async def test_a_repeated_parameter_is_refused_naming_it(client: Any, route: str) -> None:
    await refused(client, f"{route}?limit=5&limit=500", "limit", "repeated")
    await refused(client, f"{route}?limit=5&limit=5", "limit", "repeated")  # even the same
    await refused(client, f"{route}?q=a&limit=5&q=b", "q", "repeated")


@pytest.mark.parametrize("route", ROUTES)
async def test_a_documented_array_may_repeat(client: Any, route: str) -> None:
    response = await client.get(f"{route}?tag=a&tag=b&limit=5")
    assert response.status_code == 200
    assert (await response.get_json())["tag"] == ["a", "b"]


async def test_an_undocumented_parameter_may_not_repeat_either(client: Any) -> None:
    await refused(client, "/api/v1/qs/undocumented?x=1&x=2", "x", "repeated")
    response = await client.get("/api/v1/qs/undocumented?x=1")
    assert (await response.get_json()) == {"x": "1"}


async def test_a_query_to_no_route_is_routing_s_answer(client: Any) -> None:
    assert (await client.get("/api/v1/qs/nowhere?x=1&x=2")).status_code == 404
    assert (await client.post("/api/v1/qs/validated?limit=x&limit=y")).status_code == 405


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("value", ["+5", " 5", "5 ", "5.0", "5_0", "0x5", "", "\u0665", "true"])
async def test_an_integer_is_written_in_digits(client: Any, route: str, value: str) -> None:
    await refused(client, f"{route}?limit={quote(value)}", "limit", "int_parsing")


@pytest.mark.parametrize("route", ROUTES)
async def test_integers_in_digits_pass(client: Any, route: str) -> None:
    for value, limit in (("5", 5), ("05", 5), ("100", 100)):
        response = await client.get(f"{route}?limit={value}")
        assert (await response.get_json())["limit"] == limit


@pytest.mark.parametrize("value", ["1", "0", "yes", "no", "on", "off", "t", "f", "True", "FALSE"])
async def test_a_boolean_is_true_or_false(client: Any, value: str) -> None:
    await refused(client, f"/api/v1/qs/validated?done={value}", "done", "bool_parsing")


async def test_true_and_false_pass(client: Any) -> None:
    for value, done in (("true", True), ("false", False)):
        response = await client.get(f"/api/v1/qs/validated?done={value}")
        assert (await response.get_json())["done"] is done


async def test_text_parameters_take_any_text(client: Any) -> None:
    response = await client.get("/api/v1/qs/validated?q=5_0")
    assert (await response.get_json())["q"] == "5_0"
