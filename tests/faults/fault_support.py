"""Helpers of the fault tests: a TCP proxy that can be cut, a served app, timed requests."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable
from typing import Any, TypeVar

import httpx
from wait_support import free_port

T = TypeVar("T")

#: Every request made while a service is down must be answered within this (seconds).
FAIL_FAST = 4.0


class TcpProxy:
    """Forwards 127.0.0.1:``port`` to a real service, until :meth:`cut`.

    ``cut()`` closes every open connection and stops listening, so new connections are
    refused: to the app the service is gone (a crash, a network partition that resets
    connections). ``restore()`` listens again on the same port.
    """

    def __init__(self, target_port: int, target_host: str = "127.0.0.1") -> None:
        self.target = (target_host, target_port)
        self.port = free_port()
        self.server: asyncio.Server | None = None
        self.writers: set[asyncio.StreamWriter] = set()
        self.accepted = 0

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
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            return
        self.writers.update((writer, up_writer))
        await asyncio.gather(
            self._pipe(reader, up_writer), self._pipe(up_reader, writer), return_exceptions=True
        )
        for w in (writer, up_writer):
            self.writers.discard(w)
            w.transport.abort()

    @staticmethod
    async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError, asyncio.IncompleteReadError):
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        writer.transport.abort()


async def timed(call: Awaitable[T]) -> tuple[T, float]:
    start = time.monotonic()
    result = await call
    return result, time.monotonic() - start


async def fails_fast(call: Awaitable[httpx.Response], status: int = 503) -> httpx.Response:
    """Await a request made while a service is down: answered within FAIL_FAST, ``status``."""
    response, took = await timed(call)
    assert took < FAIL_FAST, f"{response.request.url} took {took:.2f} s"
    assert response.status_code == status, response.text
    return response


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
