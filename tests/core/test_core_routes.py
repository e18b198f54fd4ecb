"""GET /, /health, /ready, /openapi.json, /docs, /redoc."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from wait_support import eventually

from maigie_core.routes import database_check
from maigie_core.runtime import HealthCheck, runtime


async def test_root_names_the_service(client) -> None:
    response = await client.get("/")
    assert response.status_code == 200
    body = await response.get_json()
    assert body["name"] == "Maigie" and body["api"] == "/api/v1" and body["docs"] == "/docs"


async def test_health_is_ok_on_the_embedded_default(client) -> None:
    response = await client.get("/health")
    assert response.status_code == 200
    body = await response.get_json()
    assert body["status"] == "ok"
    assert body["checks"]["database"]["status"] == "ok"
    assert "cache" not in body["checks"]  # no Redis configured, nothing to check


async def test_health_is_503_when_the_database_is_down(app, client) -> None:
    await runtime(app).db.aio_close()
    try:
        response = await client.get("/health")
        assert response.status_code == 503
        body = await response.get_json()
        assert body["status"] == "down" and body["checks"]["database"]["status"] == "down"
        ready = await client.get("/ready")
        assert ready.status_code == 503 and (await ready.get_json()) == {"ready": False}
    finally:
        await runtime(app).db.aio_connect()


async def test_health_checks_redis_when_configured(make_app, redis_url) -> None:
    app = make_app(REDIS_URL=redis_url)
    async with app.test_app():
        body = await (await app.test_client().get("/health")).get_json()
    assert body["checks"]["cache"]["status"] == "ok"


async def test_health_is_503_when_configured_redis_is_unreachable(make_app) -> None:
    app = make_app(REDIS_URL="redis://127.0.0.1:1/0")
    async with app.test_app():
        response = await app.test_client().get("/health")
    assert response.status_code == 503
    assert (await response.get_json())["checks"]["cache"]["status"] == "down"


async def test_ready_once_serving(client) -> None:
    response = await client.get("/ready")
    assert response.status_code == 200 and (await response.get_json()) == {"ready": True}


async def test_openapi_and_documentation_pages(client) -> None:
    spec = await (await client.get("/openapi.json")).get_json()
    assert spec["openapi"].startswith("3.")
    assert {"/", "/health", "/ready"} <= set(spec["paths"])
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    assert spec["paths"]["/health"]["get"]["security"] == []
    for page in ("/docs", "/redoc"):
        response = await client.get(page)
        assert response.status_code == 200
        assert "text/html" in response.headers["Content-Type"]
    assert (await client.get("/redocs")).status_code == 404


async def test_every_request_body_is_declared_required(make_app) -> None:
    """Routes refuse a missing body; the document said it was optional (tests/fuzz)."""
    app = make_app(entry_points=True)
    async with app.test_app():
        spec = await (await app.test_client().get("/openapi.json")).get_json()
    bodies = [
        op["requestBody"]
        for item in spec["paths"].values()
        for op in item.values()
        if isinstance(op, dict) and "requestBody" in op
    ]
    assert len(bodies) > 20
    assert all(body.get("required") is True for body in bodies)


async def test_routes_answering_204_document_it_without_content(make_app) -> None:
    """A delete returns ("", 204): the document said only "default: JSON envelope", so a
    checker expected JSON in the empty 204 (bench/fuzz_served.py)."""
    app = make_app(entry_points=True)
    async with app.test_app():
        spec = await (await app.test_client().get("/openapi.json")).get_json()
    operations = [
        (method, op)
        for item in spec["paths"].values()
        for method, op in item.items()
        if method in ("post", "put", "patch", "delete")
    ]
    deletes = [op for method, op in operations if method == "delete"]
    assert len(deletes) > 10
    for _method, op in operations:
        assert any(code.startswith("2") for code in op["responses"]), op["operationId"]
    for op in deletes:
        if "204" in op["responses"]:
            assert "content" not in op["responses"]["204"]
    goals = spec["paths"]["/api/v1/goals/{goal_id}"]["delete"]["responses"]
    assert goals["204"] == {"description": "Done: no content"}


async def test_database_errors_in_a_route_are_503_envelopes(make_app) -> None:
    from quart import Blueprint

    from maigie_core import hookimpl
    from maigie_core.db import database

    bp = Blueprint("dbdown", __name__)

    @bp.get("/api/v1/dbdown")
    async def query() -> dict[str, int]:
        await database.aio_execute_sql("SELECT 1")
        return {"ok": 1}

    class Plugin:
        @hookimpl
        def register_blueprints(self):
            return [bp]

    app = make_app(plugins={"dbdown": Plugin()})
    async with app.test_app():
        client = app.test_client()
        assert (await client.get("/api/v1/dbdown")).status_code == 200
        await runtime(app).db.aio_close()
        try:
            response = await client.get("/api/v1/dbdown")
        finally:
            await runtime(app).db.aio_connect()
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "1"
    assert (await response.get_json())["code"] == "SERVICE_UNAVAILABLE"


def _counted(app, name: str = "counted") -> list[float]:
    """A required check that runs the database check and notes when it ran."""
    runs: list[float] = []

    async def check() -> Any:
        runs.append(time.monotonic())
        return await database_check()

    runtime(app).health_checks.append(HealthCheck(name, check))
    return runs


async def test_health_runs_each_check_once_per_window_however_often_it_is_called(
    make_app,
) -> None:
    app = make_app(HEALTH_CACHE_SECONDS=0.5)
    runs = _counted(app)
    async with app.test_app():
        client = app.test_client()
        together = await asyncio.gather(*(client.get("/health") for _ in range(10)))
        assert {r.status_code for r in together} == {200} and len(runs) == 1  # one shared run
        start, calls = time.monotonic(), 0
        while time.monotonic() - start < 1.6:  # a monitor polling in a tight loop
            body = await (await client.get("/health")).get_json()
            assert body["checks"]["counted"]["status"] == "ok"
            calls += 1
        elapsed = time.monotonic() - start
    # a run starts only once the previous one is 0.5 s old: fresh results, a bounded cost
    assert 2 <= len(runs) <= elapsed / 0.5 + 2 and calls > 3 * len(runs)


async def test_a_failing_dependency_shows_within_the_window(app, client) -> None:
    assert (await client.get("/health")).status_code == 200  # remembered for a second
    await runtime(app).db.aio_close()
    try:
        start = time.monotonic()
        await eventually(lambda: _status(client, "/health", 503), within=5, what="/health 503")
        assert time.monotonic() - start < 4  # the window (1 s), a check, a loaded machine
        body = await (await client.get("/health")).get_json()
        assert body["checks"]["database"]["status"] == "down"
        await eventually(lambda: _status(client, "/ready", 503), within=5, what="/ready 503")
    finally:
        await runtime(app).db.aio_connect()
    await eventually(lambda: _status(client, "/health", 200), within=5, what="/health 200")


async def _status(client, path: str, status: int) -> bool:
    return (await client.get(path)).status_code == status
