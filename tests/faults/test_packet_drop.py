"""Packets dropped between the app and PostgreSQL: the kernel gives up within the bound.

A proxy in the test cannot drop packets (its kernel acknowledges everything), so the
database client runs in a network namespace of its own (``unshare -rn``) and reaches
PostgreSQL through its loopback interface, a relay inside, and a Unix socket out to
the test. Taking that loopback down drops every packet, without a reset, as a
partition does. Only ``DATABASE_NETWORK_TIMEOUT``'s TCP options are at work here
(``statement_timeout`` 0: no reply deadline in the app). Skipped where namespaces
cannot be created.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest

# Inside the namespace: loopback up, a relay 127.0.0.1:PORT -> the Unix socket, the
# database opened as the app opens it, one statement, then the packets are dropped.
CLIENT = r"""
import asyncio, json, os, socket, subprocess, sys, threading, time
from maigie_core.db import open_database

url, unix_path, case, network_timeout = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])

def pipe(source, sink):
    try:
        while data := source.recv(65536):
            sink.sendall(data)
    except OSError:
        pass

def relay(listener):
    while True:
        client, _ = listener.accept()
        upstream = socket.socket(socket.AF_UNIX)
        upstream.connect(unix_path)
        for ends in ((client, upstream), (upstream, client)):
            threading.Thread(target=pipe, args=ends, daemon=True).start()

def link(state):
    subprocess.run(["ip", "link", "set", "lo", state], check=True)

async def main():
    link("up")
    listener = socket.create_server(("127.0.0.1", 0))
    threading.Thread(target=relay, args=(listener,), daemon=True).start()
    port = listener.getsockname()[1]
    db = open_database(url.replace("PORT", str(port)), network_timeout=network_timeout)
    await db.aio_connect()
    await db.aio_execute_sql("SELECT 1")
    start = time.monotonic()
    if case == "request":  # the statement itself is never acknowledged
        link("down")
        statement = db.aio_execute_sql("SELECT 1")
    else:  # the statement arrived; its reply never comes back
        asyncio.get_running_loop().call_later(0.5, link, "down")
        statement = db.aio_execute_sql("SELECT pg_sleep(2)")
    task = asyncio.ensure_future(statement)
    await asyncio.wait([task], timeout=8)
    outcome = "still waiting" if not task.done() else type(task.exception()).__name__
    print(json.dumps({"outcome": outcome, "took": time.monotonic() - start}), flush=True)
    os._exit(0)

asyncio.run(main())
"""


def _namespaces_work() -> bool:
    try:
        probe = ["unshare", "-rn", "ip", "link", "set", "lo", "up"]
        return subprocess.run(probe, capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


pytestmark = pytest.mark.skipif(
    sys.platform != "linux" or not _namespaces_work(),
    reason="needs Linux network namespaces (unshare -rn) and iproute2",
)


async def _pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except OSError:
        pass
    finally:
        writer.close()


async def _run_client(pg_url: str, tmp_path: Path, case: str, network_timeout: float) -> dict:
    target = urlsplit(pg_url)

    async def relay(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(
            target.hostname or "127.0.0.1", target.port or 5432
        )
        await asyncio.gather(_pump(reader, up_writer), _pump(up_reader, writer))

    unix_path = str(tmp_path / "pg.sock")
    server = await asyncio.start_unix_server(relay, unix_path)
    credentials, _, _ = target.netloc.rpartition("@")
    inner = target._replace(
        netloc=f"{credentials}@127.0.0.1:PORT" if credentials else "127.0.0.1:PORT"
    )
    try:
        process = await asyncio.create_subprocess_exec(
            "unshare", "-rn", sys.executable, "-c", CLIENT,
            inner.geturl(), unix_path, case, str(network_timeout),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        out, err = await asyncio.wait_for(process.communicate(), 60)
    finally:
        server.close()
    assert process.returncode == 0, err.decode()[-2000:]
    return json.loads(out.decode().strip().splitlines()[-1])


@pytest.mark.parametrize("case", ["request", "reply"])
async def test_a_partition_fails_the_statement_within_the_network_timeout(
    pg_url: str, tmp_path: Path, case: str
) -> None:
    result = await _run_client(pg_url, tmp_path, case, network_timeout=2)
    assert result["outcome"] == "OperationalError", result
    assert 1.5 < result["took"] < 5, result  # ≈ 2 s (kernel timers have 1 s steps)


async def test_without_the_tcp_options_a_partition_is_not_noticed(
    pg_url: str, tmp_path: Path
) -> None:
    # the control: what the options change (the kernel would wait ≈ 15 minutes)
    result = await _run_client(pg_url, tmp_path, "request", network_timeout=0)
    assert result["outcome"] == "still waiting", result
