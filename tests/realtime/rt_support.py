"""Helpers of the realtime tests: a served app, a real WebSocket client, deadlines."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Callable
from typing import Any

from auth_support import Api
from quart import Quart
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed


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
