"""Fault tests: a real hypercorn server whose PostgreSQL or Redis goes away and comes back.

They need the services (``MAIGIE_TEST_DATABASE_URL`` / ``MAIGIE_TEST_REDIS_URL``): they
skip without them locally and fail with ``CI`` set (tests/conftest.py). The services
themselves are never stopped: the app reaches them through a :class:`TcpProxy` the test
cuts, or the test kills the app's PostgreSQL backends.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from hypercorn.asyncio import serve
from hypercorn.config import Config
from quart import Quart
from wait_support import free_port, wait_for_port


class Served:
    """An app served by hypercorn in this process, and an HTTP client for it."""

    def __init__(self, app: Quart, port: int) -> None:
        self.app = app
        self.port = port
        self.stop = asyncio.Event()
        self.task: asyncio.Task[Any] | None = None
        self.http = httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30)

    async def start(self) -> None:
        config = Config()
        config.bind = [f"127.0.0.1:{self.port}"]
        config.accesslog = None
        config.graceful_timeout = 2
        self.task = asyncio.create_task(serve(self.app, config, shutdown_trigger=self.stop.wait))  # type: ignore[arg-type]
        await wait_for_port(self.port, within=15)

    async def close(self) -> None:
        await self.http.aclose()
        self.stop.set()
        if self.task is not None:
            await asyncio.wait_for(self.task, 15)


@pytest.fixture
async def serve_app(make_app: Callable[..., Quart]) -> AsyncIterator[Callable[..., Any]]:
    """``await serve_app(**settings)``: the core app, migrated and served over HTTP."""
    served: list[Served] = []

    async def start(**settings: Any) -> Served:
        # in a thread: creating and migrating connects synchronously, maybe through a
        # proxy that runs on this loop
        app = await asyncio.to_thread(make_app, ACCESS_LOG=False, **settings)
        server = Served(app, free_port())
        served.append(server)
        await server.start()
        return server

    yield start
    for server in reversed(served):
        await server.close()
