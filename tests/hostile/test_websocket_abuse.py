"""WebSocket floods and oversized frames against the real server (``maigie serve``).

The server is the command users run, in its own process (its hypercorn settings
included), on the run's database and Redis; the client is ``websockets``. After every
abuse the server still answers others: a fresh socket gets its pong, /health is 200.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
import time
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from auth_support import CHEAP_HASH, PASSWORD
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

PER_SECOND = 5
MAX_BYTES = 4096


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Served:
    def __init__(self, port: int) -> None:
        self.base = f"http://127.0.0.1:{port}"
        self.ws = f"ws://127.0.0.1:{port}/api/v1/realtime/ws"

    async def token(self, email: str) -> str:
        email = f"{uuid.uuid4().hex[:8]}-{email}"  # the database may outlive one server
        async with httpx.AsyncClient(base_url=self.base) as client:
            answer = await client.post(
                "/api/v1/auth/register", json={"email": email, "password": PASSWORD}
            )
            assert answer.status_code == 201, answer.text
            return str(answer.json()["access_token"])

    async def healthy(self) -> None:
        async with httpx.AsyncClient(base_url=self.base) as client:
            assert (await client.get("/health")).status_code == 200

    async def socket(self, token: str) -> ClientConnection:
        ws = await connect(f"{self.ws}?token={token}", open_timeout=5, close_timeout=2)
        hello = json.loads(await asyncio.wait_for(ws.recv(), 5))
        assert hello["type"] == "connection"
        return ws


@pytest.fixture
async def served(
    tmp_path: Path, make_app: Callable[..., Any], redis_settings: dict[str, Any]
) -> AsyncIterator[Served]:
    # make_app migrates the run's database (and, on PostgreSQL, empties it afterwards).
    make_app(entry_points=True)
    port = _free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("MAIGIE_TEST")},
        "MAIGIE_DATA_DIR": str(tmp_path / "data"),
        "ENVIRONMENT": "test",
        "REALTIME_MESSAGES_PER_SECOND": str(PER_SECOND),
        "REALTIME_MAX_MESSAGE_BYTES": str(MAX_BYTES),
        "LOGIN_RATE_PER_MINUTE": "1000",
        **{k: str(v) for k, v in CHEAP_HASH.items()},
        **{k: str(v) for k, v in redis_settings.items()},
    }
    if pg := os.environ.get("MAIGIE_TEST_DATABASE_URL", ""):
        env["DATABASE_URL"] = pg
    maigie = str(Path(sys.executable).with_name("maigie"))
    log = (tmp_path / "serve.log").open("wb")
    process = await asyncio.create_subprocess_exec(
        maigie, "serve", "--port", str(port), env=env, stdout=log, stderr=log
    )
    server = Served(port)
    deadline = time.monotonic() + 30
    while True:
        try:
            await server.healthy()
            break
        except (httpx.HTTPError, AssertionError):
            assert process.returncode is None, (tmp_path / "serve.log").read_text()
            assert time.monotonic() < deadline, (tmp_path / "serve.log").read_text()
            await asyncio.sleep(0.2)
    yield server
    process.terminate()
    await asyncio.wait_for(process.wait(), 20)
    log.close()
    # The app never failed (hypercorn's own shutdown noise is not the app's).
    text = (tmp_path / "serve.log").read_text()
    assert "ERROR maigie" not in text and "unhandled error" not in text, text


async def _until_closed(
    ws: ClientConnection, within: float = 10
) -> tuple[int, list[dict[str, Any]]]:
    seen = []
    end = time.monotonic() + within
    with contextlib.suppress(ConnectionClosed):
        while True:
            seen.append(
                json.loads(await asyncio.wait_for(ws.recv(), max(end - time.monotonic(), 0.01)))
            )
    assert ws.close_code is not None
    return ws.close_code, seen


async def _still_serves(server: Served, token: str) -> None:
    ws = await server.socket(token)
    await ws.send(json.dumps({"type": "heartbeat", "status": "ping"}))
    reply = json.loads(await asyncio.wait_for(ws.recv(), 5))
    assert reply == {"type": "heartbeat", "status": "pong"}
    await ws.close()
    await server.healthy()


async def test_a_flood_gets_an_error_then_4429_and_others_are_served(served: Served) -> None:
    flooder, bystander = (
        await served.token("flood@example.com"),
        await served.token("by@example.com"),
    )
    calm = await served.socket(bystander)
    ws = await served.socket(flooder)
    with contextlib.suppress(ConnectionClosed):
        for _ in range(2000):  # far beyond the rate, as fast as the client can write
            await ws.send(json.dumps({"type": "heartbeat", "status": "ping"}))
    code, seen = await _until_closed(ws)
    assert code == 4429, (code, seen[-3:])
    assert any(m.get("code") == "RATE_LIMITED" for m in seen if m["type"] == "error")
    # The bystander's socket, opened before the flood, is still alive and answered.
    await calm.send(json.dumps({"type": "heartbeat", "status": "ping"}))
    pong = json.loads(await asyncio.wait_for(calm.recv(), 5))
    assert pong == {"type": "heartbeat", "status": "pong"}
    await calm.close()
    await _still_serves(served, bystander)


# Not above hypercorn's own limit (websocket_max_message_size, 16 MiB): hypercorn closes
# such a frame itself and never closes the TCP connection (a hypercorn limitation); the
# app's 1009 covers everything below it.
@pytest.mark.parametrize("size", [MAX_BYTES + 1, 1 << 20, 8 << 20])
async def test_oversized_frames_close_1009_and_the_server_lives(served: Served, size: int) -> None:
    token = await served.token("big@example.com")
    ws = await served.socket(token)
    started = time.monotonic()
    with contextlib.suppress(ConnectionClosed):
        await ws.send(json.dumps({"type": "heartbeat", "pad": "x" * size}))
    code, seen = await _until_closed(ws)
    assert code == 1009, (code, seen)
    assert all(m.get("code") == "MESSAGE_TOO_LARGE" for m in seen if m["type"] == "error")
    assert time.monotonic() - started < 10
    await _still_serves(served, token)


async def test_junk_before_authentication_is_refused_and_the_server_lives(served: Served) -> None:
    token = await served.token("pre@example.com")
    for first in (
        "x" * (MAX_BYTES * 4),
        "\x00" * 100,
        json.dumps({"type": "auth", "token": "a.b.c"}),
    ):
        ws = await connect(served.ws, open_timeout=5, close_timeout=2)
        with contextlib.suppress(ConnectionClosed):
            for _ in range(200):
                await ws.send(first)
        code, _ = await _until_closed(ws)
        assert code in (4401, 1009), code
    await _still_serves(served, token)
