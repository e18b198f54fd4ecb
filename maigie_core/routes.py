"""The core's own routes: ``/``, ``/health``, ``/ready``.

A check's result is reused for ``HEALTH_CACHE_SECONDS`` after it finished, and callers
arriving while it runs share that run: a monitor polling in a tight loop costs the
database (and Redis, the queue) one check per window, and a dependency that fails shows
within the window.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from quart import Blueprint, current_app
from quart_schema import document_response, security_scheme

from maigie_core.db import PostgresDatabase
from maigie_core.runtime import HealthCheck, runtime

core_blueprint = Blueprint("core", __name__)

HEALTH_CHECK_TIMEOUT = 3.0
_RUNS = "maigie.health"  # app.extensions: check name -> its latest _Run


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


async def _run_check(check: HealthCheck) -> CheckResult:
    try:
        detail = await asyncio.wait_for(check.check(), HEALTH_CHECK_TIMEOUT)
        return CheckResult(status="ok", required=check.required, detail=detail)
    except Exception as exc:  # a down dependency is a report, not a crash
        return CheckResult(
            status="down", required=check.required, detail=f"{type(exc).__name__}: {exc}"[:300]
        )


@dataclass
class _Run:
    task: asyncio.Task[CheckResult]
    finished: float = math.inf  # loop time; inf while running

    def settle(self, task: asyncio.Task[CheckResult]) -> None:
        self.finished = task.get_loop().time()


async def _recent(check: HealthCheck) -> CheckResult:
    """``check``'s result: its latest run if younger than the window, else a new run."""
    window = runtime().settings.HEALTH_CACHE_SECONDS
    if window <= 0:
        return await _run_check(check)
    loop = asyncio.get_running_loop()
    runs: dict[str, _Run] = current_app.extensions.setdefault(_RUNS, {})
    run = runs.get(check.name)
    if run is None or run.task.get_loop() is not loop or loop.time() - run.finished >= window:
        run = runs[check.name] = _Run(loop.create_task(_run_check(check)))
        run.task.add_done_callback(run.settle)
    return await asyncio.shield(run.task)  # a caller that goes away leaves it to the others


@core_blueprint.get("/health")
@security_scheme([])
@document_response(HealthReport, 200)
@document_response(HealthReport, 503)
async def health() -> tuple[dict[str, Any], int]:
    """Every dependency check; 503 when a required one is down."""
    checks = runtime().health_checks
    results = await asyncio.gather(*(_recent(c) for c in checks))
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
    result = await _recent(rt.health_checks[0])
    ok = result.status == "ok"
    return {"ready": ok}, 200 if ok else 503
