"""``maigie serve --workers 2`` (the real command): SIGTERM closes every socket with 1001,
whichever worker holds it, and the server exits cleanly well before its graceful timeout."""

from __future__ import annotations

import asyncio
import signal
import time
from pathlib import Path

import httpx
from auth_support import PASSWORD
from rt_support import close_code, connected
from serve_support import served


async def test_sigterm_closes_the_sockets_of_every_worker_with_1001(tmp_path: Path) -> None:
    env = {
        "ENVIRONMENT": "development",
        "ACCESS_LOG": "false",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'maigie.db'}",
        "REDIS_URL": "",
    }
    with served(tmp_path, env) as server:  # both workers answer
        async with httpx.AsyncClient(base_url=server.base, timeout=20) as http:
            response = await http.post(
                "/api/v1/auth/register", json={"email": "ada@example.com", "password": PASSWORD}
            )
            assert response.status_code == 201, response.text
            token = response.json()["access_token"]
        url = f"ws://127.0.0.1:{server.port}/api/v1/realtime/ws?token={token}"
        sockets = [(await connected(url))[0] for _ in range(12)]
        began = time.monotonic()
        server.proc.send_signal(signal.SIGTERM)
        results = await asyncio.gather(*(close_code(ws, 15) for ws in sockets))
        for code, seen in results:
            assert code == 1001, (code, seen)
            assert seen[-1]["code"] == "SERVER_SHUTDOWN"
        assert await asyncio.to_thread(server.proc.wait, 15) == 0
        assert time.monotonic() - began < 8  # not hypercorn's 10 s graceful timeout
    assert "Traceback" not in server.output(), server.output()
