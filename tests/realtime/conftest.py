"""Realtime tests: a real hypercorn server (in-process or a subprocess) and a real
WebSocket client (``websockets``), polling with deadlines, never fixed sleeps."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from hypercorn.asyncio import serve
from hypercorn.config import Config
from quart import Quart

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from rt_plugin import RealtimeTestPlugin  # noqa: E402
from rt_support import Server  # noqa: E402
from wait_support import free_port, wait_for_port  # noqa: E402

from maigie_core.realtime import graceful_shutdown  # noqa: E402


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "redis_restart: restarts the local Redis (CI or MAIGIE_TEST_REDIS_RESTART=1)"
    )


@pytest.fixture
async def start_server(
    make_app: Callable[..., Quart], redis_or_not: dict[str, str]
) -> AsyncIterator[Callable[..., Any]]:
    """``await start_server(**settings)``: a served app with the realtime test plugin;
    every socket test runs on both backplanes (in-process, and Redis when the run has it)."""
    servers: list[Server] = []

    async def start(**overrides: Any) -> Server:
        settings = {**redis_or_not, **overrides}
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


@pytest.fixture
async def server(start_server: Callable[..., Any]) -> Server:
    srv: Server = await start_server()
    return srv
