"""`maigie serve` started before its PostgreSQL: it waits, then serves once it answers."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path
from urllib.parse import urlsplit

import httpx
from fault_support import TcpProxy, via
from wait_support import eventually, free_port


async def test_serve_waits_for_the_database_and_starts_once_it_answers(
    pg_url: str, tmp_path: Path
) -> None:
    proxy = TcpProxy(urlsplit(pg_url).port or 5432)  # not listening yet: refused
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("MAIGIE", "DATABASE"))},
        "MAIGIE_DATA_DIR": str(tmp_path / "data"),
        "DATABASE_URL": pg_url,
        "DATABASE_STARTUP_TIMEOUT": "60",
    }
    maigie = (sys.executable, "-m", "maigie_core")
    migrate = await asyncio.create_subprocess_exec(*maigie, "migrate", env=env)
    assert await asyncio.wait_for(migrate.wait(), 60) == 0  # the deploy step, first
    env["DATABASE_URL"] = via(pg_url, proxy.port)
    process = await asyncio.create_subprocess_exec(
        *maigie, "serve", "--port", str(port), env=env, stderr=asyncio.subprocess.PIPE
    )
    log: list[str] = []

    async def read_log() -> None:
        assert process.stderr is not None
        while line := await process.stderr.readline():
            log.append(line.decode())

    reader = asyncio.create_task(read_log())
    try:
        await eventually(
            lambda: _true(any("waiting for the database" in line for line in log)),
            within=30,
            what="a log line of the wait",
        )
        await proxy.start()  # PostgreSQL "comes up"
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            await eventually(
                lambda: _ready(http), 30, "the server ready", ignoring=httpx.TransportError
            )
        assert any("the database answers (attempt" in line for line in log), log
        assert process.returncode is None  # still serving
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.wait(), 30)
        await reader
        await proxy.close()
    assert not any("Traceback" in line for line in log), "".join(log)


async def _true(value: bool) -> bool:
    return value


async def _ready(http: httpx.AsyncClient) -> bool:
    return (await http.get("/ready")).status_code == 200
