"""``maigie serve`` in its own process for the WebSocket abuse tests, and its clients.

The server is the command users run (its hypercorn settings included) on the run's
database and Redis; the client is ``websockets`` unless a test needs raw frames.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
from auth_support import CHEAP_HASH, PASSWORD
from wait_support import eventually, free_port
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

PER_SECOND = 5
MAX_BYTES = 4096


class Served:
    def __init__(self, port: int, pid: int) -> None:
        self.port, self.pid = port, pid
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

    async def socket(self, token: str, **options: Any) -> ClientConnection:
        url = f"{self.ws}?token={token}"
        ws = await connect(url, open_timeout=5, close_timeout=2, max_size=None, **options)
        hello = json.loads(await asyncio.wait_for(ws.recv(), 5))
        assert hello["type"] == "connection"
        return ws

    def rss_kib(self) -> int:
        """The server process's resident memory (Linux)."""
        status = Path(f"/proc/{self.pid}/status").read_text()
        return int(status.split("VmRSS:")[1].split()[0])


@contextlib.asynccontextmanager
async def serving(
    tmp_path: Path, settings: dict[str, Any], workers: int = 1
) -> AsyncIterator[Served]:
    """``maigie serve`` with ``settings`` until the block ends; the app must not fail."""
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("MAIGIE_TEST")},
        "MAIGIE_DATA_DIR": str(tmp_path / "data"),
        "ENVIRONMENT": "test",
        "REALTIME_MESSAGES_PER_SECOND": str(PER_SECOND),
        "REALTIME_MAX_MESSAGE_BYTES": str(MAX_BYTES),
        "LOGIN_RATE_PER_MINUTE": "1000",
        **{k: str(v) for k, v in CHEAP_HASH.items()},
        **{k: str(v) for k, v in settings.items()},
    }
    if pg := os.environ.get("MAIGIE_TEST_DATABASE_URL", ""):
        env["DATABASE_URL"] = pg
    maigie = str(Path(sys.executable).with_name("maigie"))
    log_path = tmp_path / "serve.log"
    log = log_path.open("wb")
    args = ["serve", "--port", str(port := free_port()), "--workers", str(workers)]
    process = await asyncio.create_subprocess_exec(maigie, *args, env=env, stdout=log, stderr=log)
    server = Served(port, process.pid)

    async def healthy() -> bool:
        assert process.returncode is None, log_path.read_text()  # it exited: no waiting
        async with httpx.AsyncClient(base_url=server.base) as client:
            return (await client.get("/health")).status_code == 200

    try:
        await eventually(
            healthy,
            30,
            lambda: f"maigie serve; its log:\n{log_path.read_text()}",
            ignoring=httpx.HTTPError,
        )
        yield server
    finally:
        if process.returncode is None:
            process.terminate()
        await asyncio.wait_for(process.wait(), 20)
        log.close()
    # The app never failed (hypercorn's own shutdown noise is not the app's).
    text = log_path.read_text()
    assert "ERROR maigie" not in text and "unhandled error" not in text, text


async def until_closed(
    ws: ClientConnection, within: float = 10
) -> tuple[int, list[dict[str, Any]]]:
    """Read until the server closes (at most ``within`` s): (close code, messages read)."""
    seen = []
    end = time.monotonic() + within
    with contextlib.suppress(ConnectionClosed):
        while True:
            seen.append(
                json.loads(await asyncio.wait_for(ws.recv(), max(end - time.monotonic(), 0.01)))
            )
    assert ws.close_code is not None
    return ws.close_code, seen


async def still_serves(server: Served, token: str) -> None:
    """A fresh socket gets its pong and /health is 200."""
    ws = await server.socket(token)
    await ws.send(json.dumps({"type": "heartbeat", "status": "ping"}))
    reply = json.loads(await asyncio.wait_for(ws.recv(), 5))
    assert reply == {"type": "heartbeat", "status": "pong"}
    await ws.close()
    await server.healthy()
