"""The embedded default: `maigie serve` (no Redis) runs the consumer in-process."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

import maigie_tasktest as plugin
from wait_support import eventually, free_port

from maigie_core.tasks import store, task_result


async def test_in_process_consumer_runs_tasks_and_their_events_reach_the_app(make_harness) -> None:
    h = make_harness(TASKS_EMBEDDED=True)
    async with h.app.test_app(), h.app.app_context():
        handle = await plugin.write_note.enqueue("emb", "v")
        result = await task_result(handle.id, timeout=20)
        assert result["notes"] == 1 and result["thread"].startswith("Worker-")
        # the task's event was delivered on the app's own loop, to its subscribers
        await eventually(_seen, what="the task's event")
        assert plugin.SEEN == [("tasktest.noted", {"key": "emb", "value": "v"})]
        # periodic tasks run too (a "* * * * *" task is due when the consumer starts)
        await eventually(lambda: plugin.notes("tick"), what="the periodic tick")
        [worker] = await eventually(lambda: store.live_workers(2), what="a heartbeat")
        assert worker.embedded and worker.periodic
    assert await _after_stop(h) == []  # stopping serve removes its heartbeat


async def _seen() -> bool:
    return bool(plugin.SEEN)


async def _after_stop(h) -> list:
    from maigie_core.runtime import runtime

    db = runtime(h.app).db
    await db.aio_connect()
    try:
        return await store.live_workers(60)
    finally:
        await db.aio_close()


def _start_serve(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("w") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "maigie_core", "serve"], env=env, stdout=out, stderr=out
        )


def _health(port: int) -> dict:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as r:
        return json.loads(r.read())


def _headers(port: int) -> Any:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as r:
        return r.headers


async def _health_when_worker_is_up(port: int, log: Path) -> dict:
    """/health once it reports the worker up (a refused connection or a 503: not yet)."""

    async def worker_up() -> dict | None:
        body = await asyncio.to_thread(_health, port)
        return body if body["checks"]["task_worker"]["status"] == "ok" else None

    what = f"the task worker in /health (serve's log: {log})"
    return await eventually(worker_up, 30, what, ignoring=OSError)


async def test_maigie_serve_alone_runs_the_whole_system(make_harness) -> None:
    h = make_harness()
    port = free_port()
    serve = _start_serve(dict(h.env, PORT=str(port)), h.tmp / "serve.log")
    try:
        body = await _health_when_worker_is_up(port, h.tmp / "serve.log")
        assert body["checks"]["task_worker"]["detail"]["workers"][0]["embedded"] is True
        headers = await asyncio.to_thread(_headers, port)
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Server"] is None  # hypercorn's own header is off
        async with h.app.test_app(), h.app.app_context():
            assert await eventually(lambda: plugin.notes("tick"), what="a tick from serve")
    finally:
        serve.terminate()
        assert await asyncio.to_thread(serve.wait, 30) == 0
