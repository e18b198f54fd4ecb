"""Realtime tests: a real hypercorn server (in-process or a subprocess) and a real
WebSocket client (``websockets``), polling with deadlines, never fixed sleeps."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import sys
import time
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from auth_support import Api, cheap_settings
from hypercorn.asyncio import serve
from hypercorn.config import Config
from quart import Quart
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from rt_plugin import RealtimeTestPlugin  # noqa: E402

from maigie_core.realtime import graceful_shutdown  # noqa: E402


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "redis_restart: restarts the local Redis (CI or MAIGIE_TEST_REDIS_RESTART=1)"
    )


@pytest.fixture
def make_settings(make_settings: Callable[..., Any]) -> Callable[..., Any]:
    return cheap_settings(make_settings)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def wait_for_port(port: int, deadline: float = 15.0) -> None:
    end = time.monotonic() + deadline
    while True:
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            return
        except OSError:
            if time.monotonic() > end:
                raise
            await asyncio.sleep(0.05)


class Server:
    """A started app served by hypercorn in this process."""

    def __init__(self, app: Quart, port: int, stop: asyncio.Event, task: asyncio.Task[Any]):
        self.app, self.port, self.stop, self.task = app, port, stop, task
        self.api = Api(app)

    def ws_url(self, token: str | None = None) -> str:
        url = f"ws://127.0.0.1:{self.port}/api/v1/realtime/ws"
        return f"{url}?token={token}" if token else url

    async def user(self, email: str = "ada@example.com") -> tuple[str, str]:
        """Register: (access token, user id)."""
        tokens = await self.api.register(email)
        me = await self.api.me({"Authorization": f"Bearer {tokens['access_token']}"})
        return tokens["access_token"], me["id"]

    async def emit(self, **body: Any) -> None:
        response = await self.api.client.post("/api/v1/rttest/emit", json=body)
        assert response.status_code == 200, await response.get_data(as_text=True)

    async def shutdown(self) -> None:
        self.stop.set()
        await asyncio.wait_for(self.task, 20)


@pytest.fixture(params=["memory", "redis"])
def backplane(request: pytest.FixtureRequest) -> dict[str, Any]:
    """Every socket test runs on both backplanes (Redis only when the run has one)."""
    if request.param == "memory":
        return {}
    url = request.getfixturevalue("redis_url")
    return {"REDIS_URL": url, "REDIS_KEY_PREFIX": f"t{uuid.uuid4().hex[:10]}:"}


@pytest.fixture
async def start_server(
    make_app: Callable[..., Quart], backplane: dict[str, Any]
) -> AsyncIterator[Callable[..., Any]]:
    """``await start_server(**settings)``: a served app with the realtime test plugin."""
    servers: list[Server] = []

    async def start(**overrides: Any) -> Server:
        settings = {**backplane, **overrides}
        app = make_app(plugins={"rttest": RealtimeTestPlugin()}, **settings)
        port = free_port()
        config = Config()
        config.bind = [f"127.0.0.1:{port}"]
        config.accesslog = None
        config.graceful_timeout = 2
        stop = asyncio.Event()
        task = asyncio.create_task(
            serve(app, config, shutdown_trigger=graceful_shutdown(app, stop.wait))  # type: ignore[arg-type]
        )
        await wait_for_port(port)
        server = Server(app, port, stop, task)
        servers.append(server)
        return server

    yield start
    for server in servers:
        if not server.task.done():
            await server.shutdown()
    if backplane:
        await drop_keys(backplane["REDIS_URL"], backplane["REDIS_KEY_PREFIX"])


async def drop_keys(url: str, prefix: str) -> None:
    from redis.asyncio import Redis

    client = Redis.from_url(url)
    try:
        keys = [key async for key in client.scan_iter(match=f"{prefix}*", count=500)]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()


@pytest.fixture
async def server(start_server: Callable[..., Any]) -> Server:
    srv: Server = await start_server()
    return srv


# -- client helpers -----------------------------------------------------------------------


async def recv(ws: ClientConnection, within: float = 5.0) -> dict[str, Any]:
    message: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), within))
    return message


async def recv_until(
    ws: ClientConnection, predicate: Callable[[dict[str, Any]], bool], within: float = 5.0
) -> dict[str, Any]:
    """The first message matching ``predicate`` (others skipped) within ``within`` seconds."""
    end = time.monotonic() + within
    while True:
        message = await recv(ws, max(end - time.monotonic(), 0.01))
        if predicate(message):
            return message


async def events(ws: ClientConnection, count: int, within: float = 5.0) -> list[dict[str, Any]]:
    """The next ``count`` event messages (heartbeats and the like skipped)."""
    out = []
    end = time.monotonic() + within
    while len(out) < count:
        message = await recv(ws, max(end - time.monotonic(), 0.01))
        if message["type"] == "event":
            out.append(message)
    return out


async def close_code(ws: ClientConnection, within: float = 5.0) -> tuple[int, list[dict[str, Any]]]:
    """Read until the server closes: (close code, messages received meanwhile)."""
    seen: list[dict[str, Any]] = []
    end = time.monotonic() + within
    with contextlib.suppress(ConnectionClosed):
        while True:
            raw = await asyncio.wait_for(ws.recv(), max(end - time.monotonic(), 0.01))
            seen.append(json.loads(raw))
    assert ws.close_code is not None
    return ws.close_code, seen


async def connected(url: str) -> tuple[ClientConnection, dict[str, Any]]:
    ws = await connect(url, open_timeout=5, close_timeout=2)
    hello = await recv(ws)
    assert hello["type"] == "connection", hello
    return ws, hello
