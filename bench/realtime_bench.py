"""Realtime benchmark (not a test): idle sockets per worker, and emit → delivery latency.

    .venv/bin/python bench/realtime_bench.py                       # in memory
    .venv/bin/python bench/realtime_bench.py --redis redis://127.0.0.1:6379/5

1. ``--idle N`` (10,000) authenticated sockets held by one server process: the
   server's RSS before and after, so memory per socket.
2. ``--fanout N`` (1,000) sockets subscribed to one channel; ``--events K`` events
   emitted one by one (each stamped with the time just before ``emit``); the latency
   from that stamp to the moment each client socket has the frame: p50/p99/max.
   In memory: one process. With ``--redis``: events emitted through process A,
   sockets held by process B.

   ``--bare``: the same fan-out from a bare Quart app (a queue per socket, one
   pre-serialised frame), in the same run: the floor, to read Maigie's numbers as a
   ratio on a noisy machine.

Servers are subprocesses of this script (``--serve PORT``), each a Maigie app with a
tiny plugin whose route emits, served by ``maigie_core.cli.serve_one`` (what ``maigie
serve`` runs). Clients run in this process (asyncio, ``websockets``), on the same
cores: the time the clients take to read 1,000 frames is part of the latency measured
(their garbage collector is settled first, like the server's). One event is 1/K of the
deliveries, so a single stalled event moves the p99: each event's last delivery is
listed too. ``BENCH_PROFILE=/tmp/server.prof`` runs each server under cProfile; or
``py-spy record --subprocesses -o prof.txt --format raw -- python bench/...``.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

CHEAP_HASH = {
    "PASSWORD_HASH_TIME_COST": "1",
    "PASSWORD_HASH_MEMORY_KIB": "1024",
    "PASSWORD_HASH_PARALLELISM": "1",
}


def raise_fd_limit() -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


# -- server side ---------------------------------------------------------------------------


def serve(port: int) -> None:
    """The server process: a Maigie app with a route that emits stamped events."""
    from hypercorn.config import Config
    from quart import Blueprint, request

    from maigie_core import create_app, emit, hookimpl, load_settings
    from maigie_core.cli import serve_one
    from maigie_core.db.migrations import apply_migrations
    from maigie_core.runtime import runtime

    raise_fd_limit()
    bp = Blueprint("bench", __name__, url_prefix="/api/v1/bench")

    @bp.post("/emit")
    async def emit_one() -> dict[str, Any]:
        body = await request.get_json()
        await emit("bench.tick", None, {"seq": body["seq"], "t": time.time()}, channel="public")
        return {"ok": True}

    class BenchPlugin:
        @hookimpl
        def register_blueprints(self, app: Any) -> list[Any]:
            return [bp]

    app = create_app(load_settings(), plugins={"bench": BenchPlugin()}, entry_points=False)
    rt = runtime(app)
    apply_migrations(rt.db, rt.migrations)
    config = Config()
    config.bind = [f"127.0.0.1:{port}"]
    config.accesslog = None
    config.backlog = 4096

    async def main() -> None:
        await serve_one(app, config)  # what `maigie serve` runs in each worker

    profile = os.environ.get("BENCH_PROFILE")
    if profile:
        import cProfile

        scope = {"asyncio": asyncio, "main": main}
        cProfile.runctx("asyncio.run(main())", globals(), scope, profile)
    else:
        asyncio.run(main())


def serve_bare(port: int) -> None:
    """The floor to compare with: a bare Quart app fanning one pre-serialised frame out
    to every socket through a queue per socket (the textbook pattern), speaking just
    enough of the protocol for :func:`fanout`; hypercorn served the same way."""
    from hypercorn.config import Config
    from quart import Quart, request, websocket

    from maigie_core.cli import serve_one

    raise_fd_limit()
    app = Quart("bare")
    queues: set[asyncio.Queue[str]] = set()

    @app.get("/ready")
    async def ready() -> dict[str, Any]:
        return {"ok": True}

    @app.post("/api/v1/auth/register")
    async def register() -> tuple[dict[str, Any], int]:
        return {"access_token": "bare"}, 201

    @app.post("/api/v1/bench/emit")
    async def emit_one() -> dict[str, Any]:
        body = await request.get_json()
        data = {"seq": body["seq"], "t": time.time()}
        frame = json.dumps({"type": "event", "event": "bench.tick", "data": data})
        for queue in queues:
            queue.put_nowait(frame)
        return {"ok": True}

    @app.websocket("/api/v1/realtime/ws")
    async def socket() -> None:
        queue: asyncio.Queue[str] = asyncio.Queue()
        queues.add(queue)

        async def answer() -> None:
            while True:
                json.loads(await websocket.receive())
                queue.put_nowait('{"type":"subscription","status":"subscribed"}')

        reader = asyncio.create_task(answer())
        try:
            await websocket.send('{"type":"connection"}')
            while True:
                await websocket.send(await queue.get())
        finally:
            queues.discard(queue)
            reader.cancel()

    config = Config()
    config.bind = [f"127.0.0.1:{port}"]
    config.accesslog = None
    config.backlog = 4096
    asyncio.run(serve_one(app, config))


class Server:
    def __init__(self, env: dict[str, str], mode: str = "--serve") -> None:
        import socket

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.proc = subprocess.Popen(
            [sys.executable, __file__, mode, str(self.port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        # keep-alive connections expire before hypercorn's 5 s keep-alive timeout closes
        # them (reusing one the server is closing failed a register between phases)
        self.http = httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{self.port}",
            timeout=60,
            limits=httpx.Limits(keepalive_expiry=1),
        )

    async def ready(self) -> None:
        for _ in range(600):
            try:
                if (await self.http.get("/ready")).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.05)
        raise RuntimeError("server did not start")

    def rss_mib(self) -> float:
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return 0.0

    def cpu_seconds(self) -> float:
        """CPU time (user + system) this server process has used so far."""
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    async def connections(self) -> int:
        body = (await self.http.get("/health")).json()
        return int(body["checks"]["realtime"]["detail"]["connections"])

    def ws_url(self, token: str) -> str:
        return f"ws://127.0.0.1:{self.port}/api/v1/realtime/ws?token={token}"

    async def stop(self) -> None:
        await self.http.aclose()
        self.proc.terminate()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()


async def user_tokens(server: Server, count: int) -> list[str]:
    tokens = []
    for i in range(count):
        response = await server.http.post(
            "/api/v1/auth/register",
            json={"email": f"bench{i}-{uuid.uuid4().hex[:6]}@example.com", "password": "x" * 12},
        )
        response.raise_for_status()
        tokens.append(response.json()["access_token"])
    return tokens


async def open_sockets(urls: list[str], concurrency: int = 200) -> list[Any]:
    from websockets.asyncio.client import connect

    sockets: list[Any] = []
    gate = asyncio.Semaphore(concurrency)

    async def one(url: str) -> None:
        async with gate:
            ws = await connect(url, ping_interval=None, open_timeout=60, max_queue=64)
            hello = json.loads(await ws.recv())
            assert hello["type"] == "connection", hello
            sockets.append(ws)

    await asyncio.gather(*(one(u) for u in urls))
    return sockets


async def close_all(sockets: list[Any]) -> None:
    await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)


# -- measurements --------------------------------------------------------------------------


async def idle(env: dict[str, str], count: int) -> dict[str, Any]:
    server = Server(env)
    try:
        await server.ready()
        tokens = await user_tokens(server, 10)
        await asyncio.sleep(1.0)
        before = server.rss_mib()
        began = time.monotonic()
        sockets = await open_sockets([server.ws_url(tokens[i % 10]) for i in range(count)])
        opened = time.monotonic() - began
        held = await server.connections()
        await asyncio.sleep(2.0)
        after = server.rss_mib()
        await close_all(sockets)
        return {
            "sockets": held,
            "open_seconds": round(opened, 1),
            "rss_before_mib": round(before, 1),
            "rss_after_mib": round(after, 1),
            "kib_per_socket": round((after - before) * 1024 / max(held, 1), 1),
        }
    finally:
        await server.stop()


async def fanout(emitter: Server, holder: Server, count: int, events: int) -> dict[str, Any]:
    tokens = await user_tokens(holder, 10)
    sockets = await open_sockets([holder.ws_url(tokens[i % 10]) for i in range(count)])
    for ws in sockets:
        await ws.send(json.dumps({"type": "subscribe", "channel": "public"}))
    for ws in sockets:
        while json.loads(await ws.recv())["type"] != "subscription":
            pass
    # The clients' own garbage collection pauses are not the server's latency.
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 20, 20)
    latencies: list[float] = []
    slowest = [0.0] * events  # per event: its last delivery

    async def reader(ws: Any) -> None:
        seen = 0
        while seen < events:
            message = json.loads(await ws.recv())
            if message.get("event") == "bench.tick":
                latency = time.time() - message["data"]["t"]
                latencies.append(latency)
                seq = message["data"]["seq"]
                slowest[seq] = max(slowest[seq], latency)
                seen += 1

    readers = [asyncio.create_task(reader(ws)) for ws in sockets]
    server_cpu = holder.cpu_seconds()
    client_cpu = time.process_time()
    for seq in range(events):
        (await emitter.http.post("/api/v1/bench/emit", json={"seq": seq})).raise_for_status()
        await asyncio.sleep(0.25)
    await asyncio.wait_for(asyncio.gather(*readers), 60)
    server_cpu = holder.cpu_seconds() - server_cpu
    client_cpu = time.process_time() - client_cpu
    await close_all(sockets)
    latencies.sort()
    ms = [x * 1000 for x in latencies]
    return {
        "sockets": count,
        "events": events,
        "deliveries": len(ms),
        "p50_ms": round(statistics.median(ms), 1),
        "p99_ms": round(ms[int(len(ms) * 0.99) - 1], 1),
        "max_ms": round(ms[-1], 1),
        # CPU per delivered frame (heartbeats and the emit requests included): what the
        # fan-out costs, whatever else the machine is doing.
        "server_cpu_us_per_delivery": round(server_cpu * 1e6 / max(len(ms), 1), 1),
        "client_cpu_us_per_delivery": round(client_cpu * 1e6 / max(len(ms), 1), 1),
        # One event is 1/events of the deliveries: a single stalled event moves the p99.
        "last_delivery_ms_per_event": sorted(round(x * 1000) for x in slowest),
    }


async def main(args: argparse.Namespace) -> dict[str, Any]:
    limit = raise_fd_limit()
    data = tempfile.mkdtemp(prefix="maigie-rt-bench-")
    env = {
        **os.environ,
        **CHEAP_HASH,
        "MAIGIE_DATA_DIR": data,
        "ENVIRONMENT": "development",
        "ACCESS_LOG": "false",
        "LOG_LEVEL": "WARNING",
        "REALTIME_SEND_QUEUE": "10000",
    }
    print(f"file descriptor limit: {limit}")
    results: dict[str, Any] = {}
    if args.idle:
        results["idle"] = await idle(env, args.idle)
        print("idle:", results["idle"])
    if args.fanout:
        server = Server(env)
        try:
            await server.ready()
            results["fanout_memory"] = await fanout(server, server, args.fanout, args.events)
            print("fan-out, in memory, one process:", results["fanout_memory"])
        finally:
            await server.stop()
    if args.fanout and args.bare:
        server = Server(env, "--serve-bare")
        try:
            await server.ready()
            results["fanout_bare"] = await fanout(server, server, args.fanout, args.events)
            print("fan-out, bare Quart, one process:", results["fanout_bare"])
        finally:
            await server.stop()
    if args.fanout and args.redis:
        redis_env = {
            **env,
            "REDIS_URL": args.redis,
            "REDIS_KEY_PREFIX": f"bench{uuid.uuid4().hex[:6]}:",
            "MAIGIE_DATA_DIR": tempfile.mkdtemp(prefix="maigie-rt-bench-"),
        }
        redis_env["DATABASE_URL"] = f"sqlite:///{redis_env['MAIGIE_DATA_DIR']}/shared.db"
        a = Server(redis_env)
        await a.ready()
        b = Server(redis_env)
        try:
            await b.ready()
            results["fanout_redis"] = await fanout(a, b, args.fanout, args.events)
            print("fan-out, Redis, emitted on A, sockets on B:", results["fanout_redis"])
        finally:
            await a.stop()
            await b.stop()
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--serve-bare", type=int, help=argparse.SUPPRESS)
    parser.add_argument(
        "--bare", action="store_true", help="also measure a bare Quart fan-out (the floor)"
    )
    parser.add_argument("--idle", type=int, default=10_000, help="idle sockets (0: skip)")
    parser.add_argument("--fanout", type=int, default=1_000, help="subscribed sockets")
    parser.add_argument("--events", type=int, default=30, help="events in the fan-out test")
    parser.add_argument("--redis", default="", help="Redis URL: also measure across processes")
    parser.add_argument("--json", default="", help="write the results to this file")
    arguments = parser.parse_args()
    if arguments.serve:
        serve(arguments.serve)
    elif arguments.serve_bare:
        serve_bare(arguments.serve_bare)
    else:
        outcome = asyncio.run(main(arguments))
        if arguments.json:
            Path(arguments.json).write_text(json.dumps(outcome, indent=2) + "\n")
