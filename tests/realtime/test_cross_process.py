"""Two server processes sharing Redis: an event emitted through one reaches a socket held
by the other; and a Redis restart under load loses nothing for a resuming client."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from auth_support import PASSWORD
from process_support import serve_env
from rt_support import connected, events, recv, recv_until
from wait_support import eventually, free_port, wait_for_port
from websockets.exceptions import ConnectionClosed

HERE = Path(__file__).resolve().parent
PG_URL = os.environ.get("MAIGIE_TEST_DATABASE_URL", "")
REDIS_START = [
    "redis-server",
    "--daemonize", "yes",
    "--bind", "127.0.0.1", "-::1",
    "--port", "6379",
    "--save", "",
    "--appendonly", "no",
    "--dir", "/var/lib/redis",
    "--logfile", "/var/log/redis/ci.log",
]  # fmt: skip


class Process:
    """A ``serve_app.py`` server process."""

    def __init__(self, port: int, popen: asyncio.subprocess.Process, log: Path) -> None:
        self.port, self.popen, self.log = port, popen, log
        self.http = httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10)

    def ws_url(self, token: str) -> str:
        return f"ws://127.0.0.1:{self.port}/api/v1/realtime/ws?token={token}"

    async def user(self, email: str) -> tuple[str, str]:
        response = await self.http.post(
            "/api/v1/auth/register", json={"email": email, "password": PASSWORD}
        )
        assert response.status_code == 201, response.text
        token = response.json()["access_token"]
        me = await self.http.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
        return token, me.json()["id"]

    async def emit(self, **body: Any) -> None:
        response = await self.http.post("/api/v1/rttest/emit", json=body)
        assert response.status_code == 200, response.text

    async def stop(self) -> None:
        await self.http.aclose()
        if self.popen.returncode is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.popen.wait(), 15)
            except TimeoutError:
                self.popen.kill()
                await self.popen.wait()


@pytest.fixture
async def spawn(redis_settings: dict[str, str], tmp_path: Path) -> AsyncIterator[Callable[[], Any]]:
    """``await spawn()``: one more server process, all sharing one database and Redis."""
    env = serve_env(
        tmp_path,
        ENVIRONMENT="test",
        ACCESS_LOG="false",
        DATABASE_URL=PG_URL or f"sqlite:///{tmp_path / 'shared.db'}",
        **redis_settings,
        MAIGIE_STRICT_PLUGINS="1",
        WEBSOCKET_HEARTBEAT_INTERVAL="2",  # counts reach /health within half a second
    )
    procs: list[Process] = []

    async def start() -> Process:
        port = free_port()
        log = tmp_path / f"server-{port}.log"
        with log.open("wb") as out:
            popen = await asyncio.create_subprocess_exec(
                sys.executable,
                str(HERE / "serve_app.py"),
                str(port),
                cwd=HERE,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        proc = Process(port, popen, log)
        procs.append(proc)  # stopped at the end, started or not
        await wait_for_port(port, 30, log)
        return proc

    yield start
    for proc in procs:
        await proc.stop()
    if PG_URL:
        from db_support import truncate_all

        truncate_all(PG_URL)


async def test_an_event_emitted_in_one_process_reaches_a_socket_on_another(
    spawn: Callable[[], Any],
) -> None:
    a = await spawn()
    b = await spawn()
    token, user_id = await a.user("ada@example.com")
    on_b, _ = await connected(b.ws_url(token))
    on_a, _ = await connected(a.ws_url(token))
    await on_b.send(json.dumps({"type": "subscribe", "channel": "course:allowed"}))
    assert (await recv(on_b))["status"] == "subscribed"

    await a.emit(user_id=user_id, start=0)
    await a.emit(channel="course:allowed", start=1)
    await b.emit(user_id=user_id, start=2)
    got_b = await events(on_b, 3)
    got_a = await events(on_a, 2)  # not subscribed to course:allowed
    assert [e["data"]["n"] for e in got_b] == [0, 1, 2]
    assert [e["data"]["n"] for e in got_a] == [0, 2]
    assert [e["id"] for e in got_a] == [got_b[0]["id"], got_b[2]["id"]]  # one sequence
    assert got_b[0]["id"] < got_b[1]["id"] < got_b[2]["id"]

    await on_b.close()  # disconnect from B, miss events emitted on A, resume on B
    await a.emit(user_id=user_id, start=3, count=3)
    on_b, _ = await connected(b.ws_url(token))
    await on_b.send(json.dumps({"type": "resume", "last_event_id": got_b[2]["id"]}))
    assert [e["data"]["n"] for e in await events(on_b, 3)] == [3, 4, 5]

    c = await spawn()  # started after those events: it replays them from Redis streams
    on_c, _ = await connected(c.ws_url(token))
    await on_c.send(json.dumps({"type": "resume", "last_event_id": got_b[2]["id"]}))
    assert [e["data"]["n"] for e in await events(on_c, 3)] == [3, 4, 5]
    await on_c.close()

    await a.emit(broadcast=True, transient=True, name="maintenance", start=9)
    for ws in (on_a, on_b):
        event = await recv_until(ws, lambda m: m.get("event") == "maintenance")
        assert event["id"] is None and event["data"] == {"n": 9}

    async def cluster() -> dict[str, Any]:
        detail: dict[str, Any] = (await a.http.get("/health")).json()["checks"]["realtime"]
        return detail["detail"]

    health = await cluster()
    assert health["backplane"] == "redis" and health["subscribed"] is True

    async def counted() -> bool:
        counts = (await cluster())["cluster"]
        return (counts["processes"], counts["connections"]) == (3, 2)

    # each process reports its counts within a heartbeat tick
    await eventually(counted, 10, "3 processes and 2 sockets in /health")
    await on_a.close()
    await on_b.close()


def _restart_allowed(redis_url: str) -> bool:
    local = redis_url.startswith(("redis://127.0.0.1:6379", "redis://localhost:6379"))
    asked = os.environ.get("MAIGIE_TEST_REDIS_RESTART") == "1" or bool(os.environ.get("CI"))
    return local and asked and shutil.which("redis-server") is not None


async def _redis_answers() -> bool:
    ping = await asyncio.to_thread(
        subprocess.run, ["redis-cli", "-p", "6379", "ping"], capture_output=True
    )
    return ping.returncode == 0 and b"PONG" in ping.stdout


async def _restart_redis() -> float:
    """Stop the local Redis (losing its data: no persistence) and start it exactly as it
    was started. Returns the outage in seconds; fails the test if Redis does not return."""
    began = time.monotonic()
    await asyncio.to_thread(
        subprocess.run, ["redis-cli", "-p", "6379", "shutdown", "nosave"], capture_output=True
    )

    async def gone() -> bool:
        return not await _redis_answers()

    await eventually(gone, 5, "Redis to stop")
    await asyncio.to_thread(subprocess.run, REDIS_START, check=True, capture_output=True)
    await eventually(_redis_answers, 5, "Redis back after the restart")
    return time.monotonic() - began


@pytest.mark.redis_restart
async def test_redis_restart_under_load_loses_nothing_for_a_resuming_client(
    spawn: Callable[[], Any], redis_url: str
) -> None:
    """Bounded: ~1 s of Redis outage, 30 s deadline. Runs in CI or with
    MAIGIE_TEST_REDIS_RESTART=1, against the local Redis only (it restarts it)."""
    if not _restart_allowed(redis_url):
        pytest.skip("restarts the local Redis: set MAIGIE_TEST_REDIS_RESTART=1 (CI does)")
    a = await spawn()
    b = await spawn()
    token, user_id = await a.user("ada@example.com")
    acknowledged: list[int] = []
    stop = asyncio.Event()

    async def load() -> None:  # emit through A, ≈ 500 events/s at most
        # Not flat out: on 2 shared cores a saturating loader starves process B, which
        # then lags seconds behind on pub/sub; what it has not read when a Redis without
        # persistence dies is lost with that Redis (see the README's realtime
        # guarantees) — not what this test is about.
        n = 0
        while not stop.is_set():
            await a.emit(user_id=user_id, start=n, count=5)
            acknowledged.extend(range(n, n + 5))
            n += 5
            await asyncio.sleep(0.01)

    received: list[dict[str, Any]] = []
    errors: list[dict[str, Any]] = []

    async def events(ws: Any, count: int, within: float) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        end = time.monotonic() + within
        while len(out) < count:
            message = await recv(ws, max(end - time.monotonic(), 0.01))
            if message["type"] == "event":
                out.append(message)
            elif message["type"] == "error":
                errors.append(message)
        return out

    ws, _ = await connected(b.ws_url(token))
    loader = asyncio.create_task(load())
    deadline = time.monotonic() + 30
    try:
        received += await events(ws, 20, within=10)
        outage = await _restart_redis()
        # Keep reading through the outage until events numbered after it arrive.
        restart_id = int(time.time() * 1000) * 1000
        while not received or received[-1]["id"] < restart_id:
            received += await events(ws, 1, within=deadline - time.monotonic())
        await ws.close()  # the client drops, misses some, and resumes
        missed_from = len(acknowledged)
        await eventually(lambda: len(acknowledged) >= missed_from + 20, 10, "20 more acks")
        ws, _ = await connected(b.ws_url(token) + f"&last_event_id={received[-1]['id']}")
        stop.set()
        await loader
        want = set(acknowledged)
        while {e["data"]["n"] for e in received} < want and time.monotonic() < deadline:
            with contextlib.suppress(TimeoutError):
                received += await events(ws, 1, within=min(2.0, deadline - time.monotonic()))
    finally:
        stop.set()
        with contextlib.suppress(Exception, ConnectionClosed):
            await loader
        with contextlib.suppress(Exception):
            await ws.close()
    assert not errors, errors
    got = [e["data"]["n"] for e in received]
    ids = [e["id"] for e in received]
    assert set(got) >= set(acknowledged), sorted(set(acknowledged) - set(got))[:20]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    assert len(got) - len(set(got)) <= 2, "at most an in-flight event twice"
    print(f"\nrestart: {len(acknowledged)} events, {len(got)} received, outage {outage:.2f}s")
    assert outage < 5, outage
