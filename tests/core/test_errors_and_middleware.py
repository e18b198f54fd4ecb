"""Every error is the JSON envelope; every response has a request id and the headers."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, Field
from quart import Blueprint
from quart_schema import validate_querystring, validate_request

from maigie_core import Conflict, NotFound, RateLimited, hookimpl

bp = Blueprint("errs", __name__, url_prefix="/api/v1/errs")


class ItemIn(BaseModel):
    model_config = {"extra": "forbid"}
    title: str = Field(min_length=1, max_length=200)
    password: str = ""


class Page(BaseModel):
    limit: int = Field(20, ge=1, le=100)


@bp.post("/items")
@validate_request(ItemIn)
async def create_item(data: ItemIn) -> tuple[dict[str, str], int]:
    return {"title": data.title}, 201


@bp.get("/items")
@validate_querystring(Page)
async def list_items(query_args: Page) -> dict[str, int]:
    return {"limit": query_args.limit}


@bp.get("/missing")
async def missing() -> None:
    raise NotFound("No such item")


@bp.get("/conflict")
async def conflict() -> None:
    raise Conflict("Overlaps", detail=[{"id": "1"}])


@bp.get("/slow-down")
async def slow_down() -> None:
    raise RateLimited(retry_after=7)


@bp.get("/crash")
async def crash() -> None:
    raise RuntimeError("secret internals")


class ErrorsPlugin:
    @hookimpl
    def register_blueprints(self):
        return [bp]


ENVELOPE_KEYS = {"status_code", "code", "message", "detail", "request_id"}


@pytest.fixture
async def client(make_app):
    app = make_app(plugins={"errs": ErrorsPlugin()})
    async with app.test_app():
        yield app.test_client()


async def envelope(response, status: int, code: str) -> dict:
    assert response.status_code == status
    body = await response.get_json()
    assert set(body) == ENVELOPE_KEYS
    assert body["status_code"] == status and body["code"] == code
    assert body["request_id"] == response.headers["X-Request-ID"]
    return body


async def test_validation_error_is_422_with_field_details_and_no_input_echo(client) -> None:
    response = await client.post("/api/v1/errs/items", json={"title": "", "password": "hunter2"})
    body = await envelope(response, 422, "VALIDATION_ERROR")
    assert body["detail"][0]["loc"] == ["title"]
    assert "hunter2" not in await response.get_data(as_text=True)


async def test_unknown_field_is_422(client) -> None:
    response = await client.post("/api/v1/errs/items", json={"title": "x", "colour": "red"})
    body = await envelope(response, 422, "VALIDATION_ERROR")
    assert body["detail"][0]["loc"] == ["colour"]


@pytest.mark.parametrize("limit", ["0", "101", "-1", "abc", "1e9"])
async def test_bad_query_parameter_is_422(client, limit: str) -> None:
    await envelope(await client.get(f"/api/v1/errs/items?limit={limit}"), 422, "VALIDATION_ERROR")


async def test_malformed_json_is_400_envelope(client) -> None:
    response = await client.post(
        "/api/v1/errs/items", data=b"{not json", headers={"Content-Type": "application/json"}
    )
    body = await envelope(response, 400, "BAD_REQUEST")
    assert body["message"] == "Malformed request body"


@pytest.mark.parametrize("payload", [b"\xf1@q\xe8", b'{"title": "\xff"}'])
async def test_json_body_that_is_not_utf8_is_400_envelope(client, payload: bytes) -> None:
    """Quart decoded the body with bytes.decode(): a 500 until tests/fuzz found it."""
    response = await client.post(
        "/api/v1/errs/items", data=payload, headers={"Content-Type": "application/json"}
    )
    body = await envelope(response, 400, "BAD_REQUEST")
    assert body["message"] == "Malformed request body"


@pytest.mark.parametrize("payload", [b"[]", b'"text"', b"null", b"123"])
async def test_json_of_wrong_shape_is_422(client, payload: bytes) -> None:
    response = await client.post(
        "/api/v1/errs/items", data=payload, headers={"Content-Type": "application/json"}
    )
    await envelope(response, 422, "VALIDATION_ERROR")


async def test_wrong_content_type_is_an_envelope(client) -> None:
    response = await client.post(
        "/api/v1/errs/items", data=b"title=x", headers={"Content-Type": "text/plain"}
    )
    assert response.status_code in (400, 415, 422)
    assert set(await response.get_json()) == ENVELOPE_KEYS


async def test_oversized_body_is_413(make_app) -> None:
    app = make_app(plugins={"errs": ErrorsPlugin()}, MAX_BODY_BYTES=2048)
    async with app.test_app():
        client = app.test_client()
        big = {"title": "x" * 5000}
        await envelope(await client.post("/api/v1/errs/items", json=big), 413, "PAYLOAD_TOO_LARGE")


async def test_unknown_route_and_wrong_method(client) -> None:
    await envelope(await client.get("/api/v1/nothing/here"), 404, "RESOURCE_NOT_FOUND")
    response = await client.delete("/api/v1/errs/missing")
    await envelope(response, 405, "METHOD_NOT_ALLOWED")
    assert "GET" in response.headers["Allow"]


async def test_raised_errors_keep_their_code_and_detail(client) -> None:
    body = await envelope(await client.get("/api/v1/errs/missing"), 404, "RESOURCE_NOT_FOUND")
    assert body["message"] == "No such item"
    body = await envelope(await client.get("/api/v1/errs/conflict"), 409, "CONFLICT")
    assert body["detail"] == [{"id": "1"}]
    response = await client.get("/api/v1/errs/slow-down")
    await envelope(response, 429, "RATE_LIMITED")
    assert response.headers["Retry-After"] == "7"


async def test_crash_is_500_without_internals_in_production(make_app, caplog) -> None:
    app = make_app(plugins={"errs": ErrorsPlugin()}, ENVIRONMENT="production", SECRET_KEY="x" * 40)
    async with app.test_app():
        response = await app.test_client().get(
            "/api/v1/errs/crash", headers={"X-Request-ID": "trace-me-123"}
        )
    body = await envelope(response, 500, "INTERNAL_SERVER_ERROR")
    assert body["detail"] is None
    assert "secret internals" not in await response.get_data(as_text=True)
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    logged = [r for r in caplog.records if r.name == "maigie.errors"]
    assert logged and logged[0].request_id == "trace-me-123" and logged[0].exc_info


async def test_crash_detail_is_shown_in_development(client) -> None:
    body = await envelope(await client.get("/api/v1/errs/crash"), 500, "INTERNAL_SERVER_ERROR")
    assert "secret internals" in body["detail"]


async def test_request_id_is_echoed_when_sane_and_replaced_otherwise(client) -> None:
    sane = await client.get("/", headers={"X-Request-ID": "abc-123.x"})
    assert sane.headers["X-Request-ID"] == "abc-123.x"
    for hostile in ["a" * 500, "bad id with spaces", "<script>", "x\u00e9"]:
        response = await client.get("/", headers={"X-Request-ID": hostile})
        assert response.headers["X-Request-ID"] != hostile
        assert len(response.headers["X-Request-ID"]) == 32


async def test_security_headers_on_success_and_error(client) -> None:
    for path in ("/", "/does-not-exist"):
        response = await client.get(path)
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["X-Frame-Options"] == "DENY"
        assert "Referrer-Policy" in response.headers
        assert "Strict-Transport-Security" not in response.headers  # development


async def test_cors_allows_configured_origins_only(make_app) -> None:
    app = make_app(CORS_ORIGINS="https://app.example.com")
    async with app.test_app():
        client = app.test_client()
        preflight = await client.options(
            "/health",
            headers={"Origin": "https://app.example.com", "Access-Control-Request-Method": "GET"},
        )
        assert preflight.headers["Access-Control-Allow-Origin"] == "https://app.example.com"
        other = await client.get("/health", headers={"Origin": "https://evil.example"})
        assert "Access-Control-Allow-Origin" not in other.headers


async def test_access_log_has_request_id_and_no_query_string(make_app, caplog) -> None:
    app = make_app(ACCESS_LOG=True)
    caplog.set_level("INFO", logger="maigie.access")
    async with app.test_app():
        await app.test_client().get("/health?token=SECRET", headers={"X-Request-ID": "rid-1"})
    records = [r for r in caplog.records if r.name == "maigie.access"]
    assert records[-1].request_id == "rid-1" and records[-1].status == 200
    assert "SECRET" not in records[-1].getMessage()
