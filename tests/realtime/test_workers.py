"""``maigie serve --workers 2`` (the real command): SIGTERM closes every socket with 1001,
whichever worker holds it, and the server exits cleanly well before its graceful timeout."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
from auth_support import PASSWORD
from process_support import serve_env
from rt_support import close_code, connected
from wait_support import eventually, free_port, wait_for_port


async def test_sigterm_closes_the_sockets_of_every_worker_with_1001(tmp_path: Path) -> None:
    port = free_port()
    env = serve_env(
        tmp_path,
        ENVIRONMENT="development",
        ACCESS_LOG="false",
        DATABASE_URL=f"sqlite:///{tmp_path / 'maigie.db'}",
        REDIS_URL="",
    )
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        popen = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "maigie_core",
            "serve",
            "--workers",
            "2",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        await wait_for_port(port, 60, log)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=20) as http:

            async def ready() -> bool:  # the first worker may still be starting
                return (await http.get("/ready")).status_code == 200

            await eventually(ready, 20, "/ready")
            response = await http.post(
                "/api/v1/auth/register", json={"email": "ada@example.com", "password": PASSWORD}
            )
            assert response.status_code == 201, response.text
            token = response.json()["access_token"]
            processes = set()

            async def both_answered() -> bool:  # each connection may reach either worker
                response = await http.get("/health", headers={"Connection": "close"})
                processes.add(response.json()["checks"]["realtime"]["detail"]["process"])
                return len(processes) == 2

            await eventually(both_answered, 60, "both workers answering /health")
        url = f"ws://127.0.0.1:{port}/api/v1/realtime/ws?token={token}"
        sockets = [(await connected(url))[0] for _ in range(12)]
        began = time.monotonic()
        popen.send_signal(signal.SIGTERM)
        results = await asyncio.gather(*(close_code(ws, 15) for ws in sockets))
        for code, seen in results:
            assert code == 1001, (code, seen)
            assert seen[-1]["code"] == "SERVER_SHUTDOWN"
        assert await asyncio.wait_for(popen.wait(), 15) == 0
        assert time.monotonic() - began < 8  # not hypercorn's 10 s graceful timeout
    finally:
        if popen.returncode is None:
            popen.kill()
            await popen.wait()
    assert "Traceback" not in log.read_text(), log.read_text()
