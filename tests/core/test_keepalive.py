"""The keep-alive timeout as a loop timer (maigie_core.keepalive) on a real hypercorn:
an idle connection closes after ``keep_alive_timeout``, a busy one does not, and a
shutdown closes the idle ones at once."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from hypercorn.asyncio import run as hypercorn_run
from hypercorn.asyncio import serve
from hypercorn.config import Config
from quart import Quart
from wait_support import free_port, wait_for_port

from maigie_core import keepalive

KEEP_ALIVE = 1.0  # long enough that a loaded machine's gaps stay well inside it


class Server:
    def __init__(self, app: Quart, keep_alive: float, graceful: float) -> None:
        self.port = free_port()
        config = Config()
        config.bind = [f"127.0.0.1:{self.port}"]
        config.accesslog = None
        config.keep_alive_timeout = keep_alive
        config.graceful_timeout = graceful
        self.stop = asyncio.Event()
        self.task = asyncio.create_task(serve(app, config, shutdown_trigger=self.stop.wait))  # type: ignore[arg-type]

    async def get(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        """A connection that has made one request (and is idle now)."""
        reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        await request(reader, writer)
        return reader, writer


async def request(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    writer.write(b"GET / HTTP/1.1\r\nHost: t\r\n\r\n")
    assert b" 200 " in await asyncio.wait_for(reader.readline(), 10)
    length = 0
    while (line := await reader.readline()) != b"\r\n":
        name, _, value = line.decode().partition(":")
        if name.lower() == "content-length":
            length = int(value)
    await reader.readexactly(length)


async def closed_after(reader: asyncio.StreamReader, started: float) -> float:
    assert await asyncio.wait_for(reader.read(1), 10) == b""  # the server closed it
    return time.monotonic() - started


@pytest.fixture
async def start(
    make_app: Callable[..., Quart], monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Callable[[float], Any]]:
    monkeypatch.setattr(hypercorn_run, "TCPServer", hypercorn_run.TCPServer)  # restored after
    keepalive.install()
    app = make_app()
    servers: list[Server] = []

    async def start(keep_alive: float = KEEP_ALIVE, graceful: float = 3) -> Server:
        server = Server(app, keep_alive, graceful)
        servers.append(server)
        await wait_for_port(server.port)
        return server

    yield start
    for server in servers:
        server.stop.set()
        await asyncio.wait_for(server.task, 15)


async def test_an_idle_connection_is_closed_after_the_keep_alive_timeout(start) -> None:
    server = await start()
    reader, writer = await server.get()
    took = await closed_after(reader, time.monotonic())
    assert KEEP_ALIVE * 0.8 < took < KEEP_ALIVE + 2
    writer.close()


async def test_a_connection_in_use_stays_open_past_the_timeout(start) -> None:
    server = await start()
    reader, writer = await server.get()
    started = time.monotonic()
    while time.monotonic() - started < KEEP_ALIVE * 3:
        await asyncio.sleep(KEEP_ALIVE / 4)
        await request(reader, writer)  # each gap is shorter than the timeout: it stays
    assert KEEP_ALIVE * 0.8 < await closed_after(reader, time.monotonic()) < KEEP_ALIVE + 2
    writer.close()


async def test_a_shutdown_closes_idle_connections_at_once(start) -> None:
    server = await start(keep_alive=60, graceful=30)
    connections = [await server.get() for _ in range(3)]
    started = time.monotonic()
    server.stop.set()
    for reader, writer in connections:
        assert await closed_after(reader, started) < 10  # not after graceful_timeout (30 s)
        writer.close()
    await asyncio.wait_for(server.task, 15)
    assert time.monotonic() - started < 10


def test_install_refuses_a_hypercorn_it_does_not_know(monkeypatch) -> None:
    monkeypatch.setattr(hypercorn_run, "TCPServer", object)
    with pytest.raises(RuntimeError, match="not hypercorn's"):
        keepalive.install()
