"""``GET /metrics``: Prometheus text exposition of requests, sockets, tasks and the pool.

Two kinds of numbers:

* Per-request counters and latency histograms, labelled by method, URL *rule* (e.g.
  ``/api/v1/goals/<uuid:goal_id>``, never the raw path: the label set stays bounded)
  and status class. They are recorded by the middleware in every worker process. With
  several hypercorn workers (``maigie serve --workers N``) each writes its numbers to
  ``PROMETHEUS_MULTIPROC_DIR`` (prometheus_client's multiprocess mode, set up by the
  CLI) and whichever worker answers the scrape sums every worker's files.
* Live gauges read when scraped: WebSocket connections (every process through Redis
  when it is configured, else this one), task queue depth, failed tasks not yet
  retried, live task workers, this process's database pool, and (with Redis) how far
  the slowest serving process of this instance reads behind the realtime event
  sequence (each worker's read position is in ``PROMETHEUS_MULTIPROC_DIR`` too:
  maigie_core.realtime.positions).

Access: ``Authorization: Bearer <METRICS_TOKEN>`` (a static secret for the scraper)
or an administrator's access token; ``METRICS_ENABLED=false`` removes the route.
"""

from __future__ import annotations

import asyncio
import hmac
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import peewee
from prometheus_client import (
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4
from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.process_collector import ProcessCollector
from quart import Blueprint, Quart, Response, request
from quart_schema import hide

from maigie_core.errors import Forbidden
from maigie_core.realtime.backplane import Lag
from maigie_core.realtime.endpoint import EXTENSION as REALTIME
from maigie_core.realtime.positions import MULTIPROC_ENV, remove_stale
from maigie_core.runtime import Runtime, runtime
from maigie_core.settings import Settings

EXTENSION = "maigie.metrics"

#: Latency buckets in seconds: most API requests take well under 10 ms.
BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_CLASSES = ("1xx", "2xx", "3xx", "4xx", "5xx")
UNMATCHED = "<unmatched>"  # 404s and 405s: no URL rule matched

Observer = Callable[[Any, int, float], None]

# No ``*_created`` series: they double the output and nothing here reads them.
disable_created_metrics()  # type: ignore[no-untyped-call]


def prepare_workers() -> None:
    """Before starting several worker processes: a fresh shared directory for their
    numbers (unless the operator set ``PROMETHEUS_MULTIPROC_DIR``), removed at exit."""
    if os.environ.get(MULTIPROC_ENV):  # the operator's: realtime positions of a past run go
        remove_stale(Path(os.environ[MULTIPROC_ENV]))
        return
    path = tempfile.mkdtemp(prefix="maigie-metrics-")
    os.environ[MULTIPROC_ENV] = path
    import atexit

    atexit.register(shutil.rmtree, path, ignore_errors=True)


class RequestMetrics:
    """The per-request series of one app; ``observe`` is the middleware's hot path."""

    def __init__(self) -> None:
        self.multiprocess = bool(os.environ.get(MULTIPROC_ENV))
        self.requests = Counter(
            "maigie_http_requests",
            "HTTP requests answered, by method, URL rule and status class.",
            ["method", "route", "status"],
            registry=None,
        )
        self.latency = Histogram(
            "maigie_http_request_duration_seconds",
            "Time from the request's arrival in the app to its response, by URL rule.",
            ["method", "route"],
            buckets=BUCKETS,
            registry=None,
        )
        self.registry = CollectorRegistry(auto_describe=False)
        if self.multiprocess:
            MultiProcessCollector(self.registry)  # type: ignore[no-untyped-call]
        else:
            self.registry.register(self.requests)
            self.registry.register(self.latency)
            ProcessCollector(registry=self.registry)
        # (method, rule, status class) -> the two children: labels() takes a lock and
        # builds a tuple on each call; a dict hit is a fraction of that.
        self._children: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    def observe(self, req: Any, status: int, seconds: float) -> None:
        rule = req.url_rule
        method = req.method if req.method in _METHODS else "OTHER"  # clients choose methods
        key = (method, rule.rule if rule is not None else UNMATCHED, status // 100)
        children = self._children.get(key)
        if children is None:
            children = self._bind(*key)
        children[0].inc()
        children[1].observe(seconds)

    def _bind(self, method: str, route: str, status_class: int) -> tuple[Any, Any]:
        klass = _CLASSES[status_class - 1] if 1 <= status_class <= 5 else "other"
        children = (
            self.requests.labels(method, route, klass),
            self.latency.labels(method, route),
        )
        self._children[(method, route, status_class)] = children
        return children


def _gauge(name: str, doc: str, value: float, **labels: str) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, doc, labels=list(labels))
    family.add_metric(list(labels.values()), value)
    return family


async def live_metrics(app: Quart, rt: Runtime) -> list[Metric]:
    """The gauges read at scrape time; a part that cannot be read is left out."""
    from maigie_core.tasks import store

    families: list[Metric] = []
    hub = app.extensions.get(REALTIME)
    if hub is not None and hub.backplane is not None:
        stats = hub.stats()
        try:
            cluster = (await hub.backplane.status()).get("cluster")
        except Exception:  # Redis down: this process's own numbers
            cluster = None
        source = cluster or stats
        families.append(
            _gauge(
                "maigie_websocket_connections",
                "Open WebSocket connections (all processes with Redis, else this one).",
                source["connections"],
            )
        )
        families.append(
            _gauge("maigie_websocket_users", "Users with an open WebSocket.", source["users"])
        )
        try:
            lag = await hub.backplane.lag()
        except Exception:  # Redis down: nothing to compare with
            lag = None
        if lag is not None:
            families.extend(_lag_metrics(lag))
    queue = rt.queue
    if queue is not None and not queue.immediate:
        try:
            queued, scheduled = await asyncio.to_thread(queue.depth)
        except Exception:
            pass
        else:
            depth = GaugeMetricFamily(
                "maigie_task_queue_depth", "Tasks waiting in the queue.", labels=["state"]
            )
            depth.add_metric(["queued"], queued)
            depth.add_metric(["scheduled"], scheduled)
            families.append(depth)
    try:
        failed = await _failed_by_task()
        workers = len(await store.live_workers(3 * rt.settings.TASKS_HEARTBEAT_INTERVAL))
    except Exception:  # the database is down: the scrape still answers with the rest
        pass
    else:
        family = GaugeMetricFamily(
            "maigie_tasks_failed",
            "Failed tasks in the failed-task store not retried yet, by task.",
            labels=["task"],
        )
        for name, count in failed:
            family.add_metric([name], count)
        families.append(family)
        families.append(
            _gauge("maigie_task_workers", "Task consumers with a fresh heartbeat.", workers)
        )
    families.extend(_pool_metrics(rt))
    return families


async def _failed_by_task() -> list[tuple[str, int]]:
    from maigie_core.tasks.store import FailedTask

    query = (
        FailedTask.select(FailedTask.task_name, peewee.fn.COUNT(FailedTask.id))
        .where(FailedTask.retried_at.is_null())
        .group_by(FailedTask.task_name)
        .tuples()
    )
    return [(str(name), int(count)) for name, count in await query.aio_execute()]


def _lag_metrics(lag: Lag) -> list[Metric]:
    ids = GaugeMetricFamily(
        "maigie_realtime_event_id",
        "Realtime event ids (µs timestamps): the newest numbered in Redis (of=sequence), "
        "the newest the slowest serving process has read from its pub/sub (of=read).",
        labels=["of"],
    )
    ids.add_metric(["sequence"], lag.sequence)
    ids.add_metric(["read"], lag.read)
    seconds = _gauge(
        "maigie_realtime_lag_seconds",
        "How long the oldest realtime event a serving process (the slowest of its "
        "workers) has not read from Redis pub/sub has waited (0: caught up). Unread events "
        "are lost to that process's sockets if a Redis without persistence dies meanwhile.",
        lag.seconds,
    )
    return [seconds, ids]


def _pool_metrics(rt: Runtime) -> Iterable[Metric]:
    pool = getattr(getattr(rt.db, "pool_backend", None), "pool", None)
    if pool is None:
        return []
    # maigie_core.db's pools: SQLite's, and PostgreSQL's PgPool (which queues waiters)
    in_use, idle, waiting = pool.in_use, len(pool.idle), len(getattr(pool, "waiters", ()))
    family = GaugeMetricFamily(
        "maigie_db_pool_connections",
        "This process's database connections, by state.",
        labels=["state"],
    )
    family.add_metric(["in_use"], in_use)
    family.add_metric(["idle"], idle)
    family.add_metric(["waiting"], waiting)
    return [family]


class _Snapshot:
    def __init__(self, families: list[Metric]) -> None:
        self.families = families

    def collect(self) -> list[Metric]:
        return self.families


def _allowed(settings: Settings) -> bool:
    """True for the scraper's static token; False means: try an admin's access token."""
    secret = settings.METRICS_TOKEN.get_secret_value()
    if not secret:
        return False
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(
        token.strip().encode(), secret.encode()
    )


metrics_blueprint = Blueprint("metrics", __name__)


@metrics_blueprint.get("/metrics")
@hide
async def metrics() -> Response:
    """Prometheus text format; the scraper's token or an administrator only."""
    rt = runtime()
    if not _allowed(rt.settings):
        from maigie_core.auth.guards import authenticate_request

        record = await authenticate_request()
        if record.principal.role != "admin":
            raise Forbidden("Administrators only")
    from quart import current_app

    state: RequestMetrics = current_app.extensions[EXTENSION]
    snapshot = CollectorRegistry(auto_describe=False)
    snapshot.register(_Snapshot(await live_metrics(current_app, rt)))
    body = generate_latest(state.registry) + generate_latest(snapshot)
    return Response(
        body, 200, {"Content-Type": CONTENT_TYPE_PLAIN_0_0_4, "Cache-Control": "no-store"}
    )


def install_metrics(app: Quart, settings: Settings) -> Observer | None:
    """Serve ``/metrics`` and return the middleware's observer (None when disabled)."""
    if not settings.METRICS_ENABLED:
        return None
    state = RequestMetrics()
    app.extensions[EXTENSION] = state
    app.register_blueprint(metrics_blueprint)
    return state.observe
