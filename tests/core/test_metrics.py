"""``GET /metrics``: Prometheus text format, who may read it, what it counts."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from auth_support import Api, assert_error, bearer
from prometheus_client.parser import text_string_to_metric_families
from quart import Quart
from serve_support import served
from wait_support import eventually

from maigie_core.runtime import runtime
from maigie_core.tasks import store, task

SCRAPER_TOKEN = "scrape-" + "s" * 24


def samples(text: str, name: str, **labels: str) -> list[tuple[dict[str, str], float]]:
    """The samples called ``name`` whose labels include ``labels``."""
    found = []
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and labels.items() <= sample.labels.items():
                found.append((sample.labels, sample.value))
    return found


def value(text: str, name: str, **labels: str) -> float:
    return sum(v for _labels, v in samples(text, name, **labels))


async def scrape(app: Quart, token: str = SCRAPER_TOKEN) -> str:
    response = await app.test_client().get("/metrics", headers=bearer(token))
    assert response.status_code == 200, await response.get_data(as_text=True)
    assert response.content_type.startswith("text/plain; version=0.0.4")
    return str(await response.get_data(as_text=True))


@pytest.fixture
async def app(make_app: Any) -> Any:
    application = make_app(METRICS_TOKEN=SCRAPER_TOKEN)
    async with application.test_app():
        yield application


async def test_metrics_need_the_scraper_token_or_an_admin(app, api) -> None:
    client = app.test_client()
    await assert_error(await client.get("/metrics"), 401, "UNAUTHORIZED")
    wrong = await client.get("/metrics", headers=bearer("scrape-" + "x" * 24))
    await assert_error(wrong, 401, "UNAUTHORIZED")
    user = await api.user("ada@example.com")
    await assert_error(await client.get("/metrics", headers=user), 403, "FORBIDDEN")
    admin = await api.admin()
    assert (await client.get("/metrics", headers=admin)).status_code == 200
    assert "maigie_http_requests_total" in await scrape(app)


async def test_without_a_token_setting_only_admins_read_metrics(make_app, api) -> None:
    application = make_app()
    async with application.test_app():
        client = application.test_client()
        refused = await client.get("/metrics", headers=bearer(SCRAPER_TOKEN))
        await assert_error(refused, 401, "UNAUTHORIZED")
        admin = await Api(application).admin()
        assert (await client.get("/metrics", headers=admin)).status_code == 200


async def test_disabled_metrics_are_not_served(make_app) -> None:
    application = make_app(METRICS_ENABLED=False, METRICS_TOKEN=SCRAPER_TOKEN)
    async with application.test_app():
        response = await application.test_client().get("/metrics", headers=bearer(SCRAPER_TOKEN))
        await assert_error(response, 404, "RESOURCE_NOT_FOUND")


async def test_a_short_metrics_token_is_refused(make_settings) -> None:
    from maigie_core.settings import SettingsError

    with pytest.raises(SettingsError, match="METRICS_TOKEN"):
        make_settings(METRICS_TOKEN="short")


async def test_requests_are_counted_per_url_rule_and_status_class(app, api) -> None:
    client = app.test_client()
    headers = await api.user("ada@example.com")
    ids = [str(uuid.uuid4()) for _ in range(3)]
    for notification_id in ids:  # three different paths, one rule
        await client.get(f"/api/v1/notifications/{notification_id}", headers=headers)
    await client.get("/api/v1/nowhere/at/all")
    await client.get("/api/v1/another/unknown/path")
    await client.open("/", method="BREW")
    text = await scrape(app)
    rule = "/api/v1/notifications/<notification_id>"
    counted = samples(text, "maigie_http_requests_total", route=rule)
    assert counted == [({"method": "GET", "route": rule, "status": "4xx"}, 3.0)]
    assert not any(i in text for i in ids)  # raw paths never become labels
    # No rule matched: two unknown paths (404) and the unknown method on / (405).
    assert value(text, "maigie_http_requests_total", route="<unmatched>", status="4xx") == 3
    assert value(text, "maigie_http_requests_total", method="OTHER") == 1
    assert value(text, "maigie_http_requests_total", route="/api/v1/auth/register") == 1
    count = value(text, "maigie_http_request_duration_seconds_count", route=rule, method="GET")
    assert count == 3
    infinite = samples(text, "maigie_http_request_duration_seconds_bucket", route=rule, le="+Inf")
    assert infinite[0][1] == 3


async def test_server_errors_are_counted_as_5xx(make_app) -> None:
    from quart import Blueprint

    blueprint = Blueprint("boom", __name__)

    @blueprint.get("/api/v1/boom")
    async def boom() -> None:
        raise RuntimeError("kaput")

    class Boom:
        from maigie_core import hookimpl

        @staticmethod
        @hookimpl
        def register_blueprints() -> list[Blueprint]:
            return [blueprint]

    application = make_app(plugins={"boom": Boom()}, METRICS_TOKEN=SCRAPER_TOKEN)
    async with application.test_app():
        response = await application.test_client().get("/api/v1/boom")
        assert response.status_code == 500
        text = await scrape(application)
    assert value(text, "maigie_http_requests_total", route="/api/v1/boom", status="5xx") == 1


async def test_live_gauges_sockets_failed_tasks_and_pool(app, api) -> None:
    headers = await api.user("ada@example.com")
    token = headers["Authorization"].split()[1]
    async with app.app_context():
        for name in ("mail.send", "mail.send", "reports.build"):
            await store.record_failure(name, uuid.uuid4().hex, [], {}, ValueError("x"), 1)
    client = app.test_client()
    async with client.websocket(f"/api/v1/realtime/ws?token={token}") as ws:
        await ws.receive_json()  # the welcome: the socket is registered
        text = await scrape(app)
    assert value(text, "maigie_websocket_connections") == 1
    assert value(text, "maigie_websocket_users") == 1
    assert value(text, "maigie_tasks_failed", task="mail.send") == 2
    assert value(text, "maigie_tasks_failed", task="reports.build") == 1
    assert samples(text, "maigie_db_pool_connections", state="in_use")
    after = await scrape(app)
    assert value(after, "maigie_websocket_connections") == 0


@task("metrics_test.noop")
def noop() -> None:
    """Never runs: the queue has no consumer in this test."""


class QueuedPlugin:
    from maigie_core import hookimpl

    @staticmethod
    @hookimpl
    def register_tasks() -> list[Any]:
        return [noop]


async def test_queue_depth_counts_waiting_tasks(make_app) -> None:
    application = make_app(
        plugins={"queued": QueuedPlugin()},
        METRICS_TOKEN=SCRAPER_TOKEN,
        TASKS_IMMEDIATE=False,
        TASKS_EMBEDDED=False,  # no consumer: what is queued stays queued
    )
    async with application.test_app():
        async with application.app_context():
            for _ in range(3):
                await noop.enqueue()
        text = await scrape(application)
        queue = runtime(application).queue
        assert queue is not None
        await asyncio.to_thread(queue.huey.flush)
    assert value(text, "maigie_task_queue_depth", state="queued") == 3
    assert value(text, "maigie_task_queue_depth", state="scheduled") == 0


def test_two_workers_report_the_sum_of_both(tmp_path: Path) -> None:
    """``maigie serve --workers 2`` in production: whichever worker answers a scrape, it
    counts every worker's requests; every worker writes JSON access lines."""
    shared = tmp_path / "metrics"
    shared.mkdir()
    env = {
        "ENVIRONMENT": "production",
        "ACCESS_LOG": "true",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'serve.db'}",
        "METRICS_TOKEN": SCRAPER_TOKEN,
        "PROMETHEUS_MULTIPROC_DIR": str(shared),
        "REDIS_URL": None,
    }
    with served(tmp_path, env) as server:
        # Bursts of concurrent connections until both workers have served some.
        sent, writers = 0, set()
        with ThreadPoolExecutor(16) as pool:
            while len(writers) < 2 and sent < 2000:
                list(pool.map(server.get, ["/"] * 40))
                sent += 40
                writers = {p.name.rsplit("_", 1)[1] for p in shared.glob("counter_*.db")}
        assert len(writers) == 2, writers  # both workers served (and recorded) requests
        for _ in range(6):  # several scrapes, answered by either worker
            text = server.get("/metrics", bearer(SCRAPER_TOKEN))
            assert value(text, "maigie_http_requests_total", route="/", status="2xx") == sent
    output = server.output()
    lines = [json.loads(x) for x in output.splitlines() if x.startswith("{")]
    access = [e for e in lines if e["logger"] == "maigie.access" and e["path"] == "/"]
    assert len(access) == sent and all(e["request_id"] for e in access), sent
    assert SCRAPER_TOKEN not in output


async def test_realtime_lag_shows_events_this_process_has_not_read(
    make_app, redis_settings
) -> None:
    from maigie_core.realtime import broadcast, realtime_hub

    application = make_app(METRICS_TOKEN=SCRAPER_TOKEN, **redis_settings)
    async with application.test_app():
        backplane = realtime_hub(application).backplane
        async with application.app_context():
            await broadcast("lag.test", {"n": 0})

        async def caught_up() -> bool:
            text = await scrape(application)
            read = value(text, "maigie_realtime_event_id", of="read")
            return value(text, "maigie_realtime_lag_seconds") == 0 and read == value(
                text, "maigie_realtime_event_id", of="sequence"
            )

        await eventually(caught_up, within=10, what="the event read back")
        listener = backplane._tasks[0]  # this process stops reading its pub/sub
        listener.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await listener
        async with application.app_context():
            for n in range(3):
                await broadcast("lag.test", {"n": n + 1})

        async def behind() -> str | None:
            text = await scrape(application)
            return text if value(text, "maigie_realtime_lag_seconds") >= 0.3 else None

        text = await eventually(behind, within=10, what="a lag of 0.3 s")
        read = value(text, "maigie_realtime_event_id", of="read")
        assert value(text, "maigie_realtime_event_id", of="sequence") > read
        assert "# HELP maigie_realtime_lag_seconds How long the oldest" in text

        backplane._tasks[0] = asyncio.create_task(backplane._listen())  # reads again
        await eventually(caught_up, within=10, what="the lag caught up")


async def test_every_worker_reports_the_slowest_workers_realtime_lag(
    make_app, redis_settings, tmp_path
) -> None:
    """``maigie serve --workers 2`` with Redis: a worker that stops reading (SIGSTOP: its
    loop frozen, as a stuck one would be) shows in the lag and read id of every scrape,
    which the other worker answers; then the same with the roles swapped."""
    from maigie_core.realtime import broadcast

    settings = redis_settings
    publisher = make_app(**settings)  # migrates the run's database; emits the events
    env = {
        **settings,
        "ENVIRONMENT": "development",
        "ACCESS_LOG": "false",
        "DATABASE_URL": runtime(publisher).settings.database_url,
        "METRICS_TOKEN": SCRAPER_TOKEN,
    }

    async def emit(count: int) -> None:
        async with publisher.app_context():
            for n in range(count):
                await broadcast("lag.test", {"n": n})

    async with publisher.test_app():
        with served(tmp_path, env) as server:
            pids = server.worker_pids()
            assert len(pids) == 2, pids

            async def scrapes(count: int) -> list[str]:
                get = server.get
                return [
                    await asyncio.to_thread(get, "/metrics", bearer(SCRAPER_TOKEN))
                    for _ in range(count)
                ]

            def lag(text: str) -> tuple[float, float, float]:
                return (
                    value(text, "maigie_realtime_lag_seconds"),
                    value(text, "maigie_realtime_event_id", of="read"),
                    value(text, "maigie_realtime_event_id", of="sequence"),
                )

            async def caught_up() -> bool:
                return all(
                    seconds == 0 and read == sequence
                    for seconds, read, sequence in map(lag, await scrapes(6))
                )

            await emit(1)
            await eventually(caught_up, within=15, what="both workers read the event")
            for stopped in pids:
                os.kill(stopped, signal.SIGSTOP)  # every scrape now reaches the other
                try:
                    await emit(3)

                    async def behind() -> bool:
                        return lag((await scrapes(1))[0])[0] >= 0.3

                    await eventually(behind, within=15, what=f"the lag of {stopped}")
                    for seconds, read, sequence in map(lag, await scrapes(4)):
                        assert seconds >= 0.3 and read < sequence, (stopped, seconds)
                finally:
                    os.kill(stopped, signal.SIGCONT)
                await eventually(caught_up, within=15, what=f"{stopped} caught up")
            assert server.proc.poll() is None, server.output()
