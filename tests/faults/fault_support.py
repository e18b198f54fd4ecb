"""Helpers of the fault tests: a TCP proxy that can be cut, a served app, timed requests."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import httpx
from wait_support import eventually, free_port

T = TypeVar("T")

#: Every request made while a service is down must be answered within this (seconds).
FAIL_FAST = 4.0


def via(url: str, port: int) -> str:
    """``url`` (credentials, database and query kept) pointed at 127.0.0.1:``port``."""
    parts = urlsplit(url)
    credentials, _, _ = parts.netloc.rpartition("@")
    host = f"127.0.0.1:{port}"
    return urlunsplit(parts._replace(netloc=f"{credentials}@{host}" if credentials else host))


class TcpProxy:
    """Forwards 127.0.0.1:``port`` to a real service, until :meth:`cut` or :meth:`blackhole`.

    ``cut()`` closes every open connection and stops listening, so new connections are
    refused: to the app the service is gone (a crash, a network partition that resets
    connections). ``restore()`` listens again on the same port.

    ``blackhole()`` keeps every connection open and accepts new ones, but forwards
    nothing (nor a close) until ``resume()``: a service that stops answering without a
    reset. The kernel still acknowledges what the app sends (the proxy is local), so this
    is the service's silence, not a packet drop (``test_packet_drop.py`` drops packets).
    """

    def __init__(self, target_port: int, target_host: str = "127.0.0.1") -> None:
        self.target = (target_host, target_port)
        self.port = free_port()
        self.server: asyncio.Server | None = None
        self.writers: set[asyncio.StreamWriter] = set()
        self.accepted = 0
        self.flowing = asyncio.Event()
        self.flowing.set()

    def blackhole(self) -> None:
        self.flowing.clear()

    def resume(self) -> None:
        """Forward again, what was held first (as TCP delivers it once a partition heals)."""
        self.flowing.set()

    async def start(self) -> None:
        self.server = await asyncio.start_server(
            self._handle, "127.0.0.1", self.port, reuse_address=True
        )

    async def cut(self) -> None:
        assert self.server is not None
        self.server.close()
        for writer in list(self.writers):
            writer.transport.abort()
        self.writers.clear()
        await self.server.wait_closed()
        self.server = None

    async def restore(self) -> None:
        await self.start()

    async def close(self) -> None:
        if self.server is not None:
            await self.cut()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.accepted += 1
        self.writers.add(writer)
        await self.flowing.wait()
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            self.writers.discard(writer)
            writer.transport.abort()
            return
        self.writers.add(up_writer)
        await asyncio.gather(
            self._pipe(reader, up_writer), self._pipe(up_reader, writer), return_exceptions=True
        )
        for w in (writer, up_writer):
            self.writers.discard(w)
            w.transport.abort()

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError, asyncio.IncompleteReadError):
            while True:
                data = await reader.read(65536)
                await self.flowing.wait()  # a blackhole holds bytes, and a close, alike
                if not data:
                    break
                writer.write(data)
                await writer.drain()
        writer.transport.abort()


async def timed(call: Awaitable[T]) -> tuple[T, float]:
    start = time.monotonic()
    result = await call
    return result, time.monotonic() - start


async def fails_fast(
    call: Awaitable[httpx.Response], status: int = 503, within: float = FAIL_FAST
) -> httpx.Response:
    """Await a request made while a service is down: answered ``within`` s, ``status``."""
    response, took = await timed(call)
    assert took < within, f"{response.request.url} took {took:.2f} s"
    assert response.status_code == status, response.text
    return response


async def settles(
    http: httpx.AsyncClient, path: str, status: int, each: float = FAIL_FAST
) -> httpx.Response:
    """Poll ``/health`` or ``/ready`` until ``status``: each answer within ``each`` s, and
    the change within FAIL_FAST (they reuse a check's result for HEALTH_CACHE_SECONDS)."""

    async def answered() -> httpx.Response | None:
        response, took = await timed(http.get(path))
        assert took < each, f"{path} took {took:.2f} s"
        return response if response.status_code == status else None

    return await eventually(answered, FAIL_FAST, f"{path} to answer {status}")


def assert_unavailable(response: httpx.Response) -> None:
    """The standard 503 envelope."""
    body = response.json()
    assert response.status_code == 503, body
    assert body["code"] == "SERVICE_UNAVAILABLE" and body["status_code"] == 503
    assert body["request_id"] and response.headers["Retry-After"] == "1"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def register(http: httpx.AsyncClient, email: str, password: str) -> dict[str, Any]:
    response = await http.post("/api/v1/auth/register", json={"email": email, "password": password})
    assert response.status_code == 201, response.text
    tokens: dict[str, Any] = response.json()
    return tokens
