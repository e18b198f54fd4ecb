"""CPU per ``GET /`` through the whole app, with and without the metrics middleware.

    python bench/metrics_overhead.py [--requests 4000] [--rounds 3]

The app is driven in-process through its ASGI callable (no network, no load generator)
and timed with ``time.process_time``, alternating ``METRICS_ENABLED`` off and on: CPU
time per request is much less sensitive to other processes on a shared machine than
requests per second. Logging is configured as ``maigie serve`` does (access log on,
redacting formatter), written to /dev/null.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import statistics
import tempfile
import time
from typing import Any

from maigie_core.app import create_app
from maigie_core.db.migrations import apply_migrations
from maigie_core.logs import configure_logging
from maigie_core.runtime import runtime
from maigie_core.settings import load_settings

DEVNULL = open(os.devnull, "w")  # noqa: SIM115 - lives as long as the run
SCOPE: dict[str, Any] = {
    "type": "http",
    "asgi": {"version": "3.0"},
    "http_version": "1.1",
    "method": "GET",
    "scheme": "http",
    "path": "/",
    "raw_path": b"/",
    "query_string": b"",
    "root_path": "",
    "headers": [(b"host", b"localhost")],
    "client": ("127.0.0.1", 1),
    "server": ("127.0.0.1", 80),
    "extensions": {},
}


async def cpu_per_request(metrics: bool, requests: int) -> float:
    settings = load_settings(
        environ={},
        MAIGIE_DATA_DIR=tempfile.mkdtemp(),
        METRICS_ENABLED=metrics,
        TASKS_EMBEDDED=False,
    )
    configure_logging(settings)
    handler = logging.getLogger().handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(DEVNULL)
    app = create_app(settings)
    apply_migrations(runtime(app).db, runtime(app).migrations)
    never = asyncio.Event()
    body_sent = False

    async def receive() -> dict[str, Any]:
        nonlocal body_sent
        if not body_sent:
            body_sent = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await never.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        pass

    async def call() -> None:
        nonlocal body_sent
        body_sent = False
        await app(SCOPE, receive, send)  # type: ignore[arg-type]

    async with app.test_app():
        for _ in range(300):  # warm-up
            await call()
        started = time.process_time()
        for _ in range(requests):
            await call()
        return (time.process_time() - started) / requests * 1e6


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=4000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    results: dict[bool, list[float]] = {False: [], True: []}
    for _ in range(args.rounds):
        for metrics in (False, True):
            us = await cpu_per_request(metrics, args.requests)
            results[metrics].append(us)
            print(f"metrics {'on ' if metrics else 'off'}: {us:6.1f} us CPU per GET /", flush=True)
    off, on = statistics.median(results[False]), statistics.median(results[True])
    print(f"median: off {off:.1f} us, on {on:.1f} us, difference {on - off:+.1f} us per request")


if __name__ == "__main__":
    asyncio.run(main())
