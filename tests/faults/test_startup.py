"""`maigie serve` started before its PostgreSQL: it waits, then serves once it answers;
a worker of `maigie serve --workers` whose PostgreSQL went away exits in one line."""

from __future__ import annotations

import asyncio
import os
import re
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


async def test_a_worker_whose_database_went_away_stops_the_server_in_one_line(
    pg_url: str, tmp_path: Path
) -> None:
    proxy = TcpProxy(urlsplit(pg_url).port or 5432)
    await proxy.start()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("MAIGIE", "DATABASE"))},
        "MAIGIE_DATA_DIR": str(tmp_path / "data"),
        "DATABASE_URL": pg_url,
        "DATABASE_STARTUP_TIMEOUT": "2",
    }
    maigie = (sys.executable, "-m", "maigie_core")
    migrate = await asyncio.create_subprocess_exec(*maigie, "migrate", env=env)
    assert await asyncio.wait_for(migrate.wait(), 60) == 0
    env["DATABASE_URL"] = via(pg_url, proxy.port)
    process = await asyncio.create_subprocess_exec(
        *maigie,
        "serve",
        "--workers",
        "2",
        "--port",
        str(free_port()),
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        # The parent has waited for the database and built its app when it starts its
        # first child; the workers need ≈1 s of imports before they connect.
        await eventually(
            lambda: _children(process.pid) or process.returncode is not None,
            within=60,
            what="the parent starting its workers",
        )
        await proxy.cut()  # PostgreSQL goes away
        output, _ = await asyncio.wait_for(process.communicate(), 60)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        await proxy.close()
    log = output.decode()
    assert process.returncode == 1, log
    assert "Traceback" not in log, log
    assert "waiting for the database" in log  # each worker waited, as `maigie serve` does
    errors = [line for line in log.splitlines() if line.startswith("Error: ")]
    assert errors and all("did not answer" in line for line in errors), log
    assert re.search(r"maigie-worker-\d exited \(code 1\): stopping", log), log


def _children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (from /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:  # it exited meanwhile
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


async def _true(value: bool) -> bool:
    return value


async def _ready(http: httpx.AsyncClient) -> bool:
    return (await http.get("/ready")).status_code == 200
