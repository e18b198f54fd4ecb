"""The core's own routes: ``/``, ``/health``, ``/ready``."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel
from quart import Blueprint
from quart_schema import document_response, security_scheme

from maigie_core.db import PostgresDatabase
from maigie_core.runtime import runtime

core_blueprint = Blueprint("core", __name__)

HEALTH_CHECK_TIMEOUT = 3.0


class RootInfo(BaseModel):
    name: str
    version: str
    api: str
    docs: str
    plugins: list[str]


class CheckResult(BaseModel):
    status: str
    required: bool
    detail: Any = None


class HealthReport(BaseModel):
    status: str
    checks: dict[str, CheckResult]


class Readiness(BaseModel):
    ready: bool


@core_blueprint.get("/")
@security_scheme([])
@document_response(RootInfo)
async def root() -> dict[str, Any]:
    """What this server is: name, version, where the API and its docs are."""
    from maigie_core.app import __version__

    rt = runtime()
    return {
        "name": rt.settings.APP_NAME,
        "version": __version__,
        "api": "/api/v1",
        "docs": "/docs",
        "plugins": [r.name for r in rt.plugins.active],
    }


async def database_check() -> Mapping[str, Any]:
    db = runtime().db
    if isinstance(db, PostgresDatabase):
        # libpq directly: cut short by HEALTH_CHECK_TIMEOUT, its connection is dropped
        # (psycopg's cursor would first try to cancel it: 10 s more on a silent server)
        await db.aio_execute_prepared("SELECT 1", (), "one")
        return {"engine": "postgresql"}
    await db.aio_execute_sql("SELECT 1")
    return {"engine": "sqlite"}


async def redis_check() -> Mapping[str, Any]:
    redis = runtime().redis
    assert redis is not None
    await redis.ping()
    return {"backend": "redis"}


async def _run_check(check: Any) -> CheckResult:
    try:
        detail = await asyncio.wait_for(check.check(), HEALTH_CHECK_TIMEOUT)
        return CheckResult(status="ok", required=check.required, detail=detail)
    except Exception as exc:  # a down dependency is a report, not a crash
        return CheckResult(
            status="down", required=check.required, detail=f"{type(exc).__name__}: {exc}"[:300]
        )


@core_blueprint.get("/health")
@security_scheme([])
@document_response(HealthReport, 200)
@document_response(HealthReport, 503)
async def health() -> tuple[dict[str, Any], int]:
    """Every dependency check; 503 when a required one is down."""
    checks = runtime().health_checks
    results = await asyncio.gather(*(_run_check(c) for c in checks))
    report = {c.name: r for c, r in zip(checks, results, strict=True)}
    failed = any(r.status != "ok" and r.required for r in results)
    body = {
        "status": "down" if failed else "ok",
        "checks": {name: r.model_dump() for name, r in report.items()},
    }
    return body, 503 if failed else 200


@core_blueprint.get("/ready")
@security_scheme([])
@document_response(Readiness, 200)
@document_response(Readiness, 503)
async def ready() -> tuple[dict[str, bool], int]:
    """Ready for traffic: started and the database answers."""
    rt = runtime()
    if not rt.serving:
        return {"ready": False}, 503
    result = await _run_check(rt.health_checks[0])
    ok = result.status == "ok"
    return {"ready": ok}, 200 if ok else 503
