"""What one request costs the server, counted instead of timed: steady on a busy machine.

    python bench/request_cost.py --database-url postgresql://postgres@127.0.0.1/maigie_bench \\
        --redis-url redis://127.0.0.1:6379/11 --only bare,goals_create,goals_list

Requests/s and even CPU µs/request move by 10-30% between runs on a shared 2-core
machine, which hides a change worth 5%. Two counts do not depend on what else the
machine does; each scenario of bench/http_bench.py (its server, seed and request) is
loaded with exactly ``--requests`` requests over ``--connections`` keep-alive
connections and measured twice:

* **instructions per request** — the server runs under valgrind's callgrind with
  instrumentation switched on only after start-up; the instructions every thread of
  the process executed during the load (Python, C extensions, libpq, hiredis: all of
  it, not the kernel), minus what the idle process executes in as long (timers,
  pollers), divided by the requests. Repeats within ≈ 1%.
* **function calls per request** — the server runs under cProfile
  (bench/profiled_server.py), switched on by a signal for the load only: Python and
  C-function calls, divided by the requests. It is a proxy (a call to ``len`` counts as
  much as a query), but its ``--top`` table says *where* the work is.

The bare Quart + hypercorn app (scenario ``bare``) gives the floor in the same units.
"""

from __future__ import annotations

import argparse
import http.client
import os
import pstats
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from http_bench import (
    SCENARIOS,
    Request,
    Run,
    Scenario,
    served,
)

HERE = Path(__file__).resolve().parent


def load(url: str, request: Request, requests: int, connections: int) -> dict[int, int]:
    """Send exactly ``requests`` requests over ``connections`` keep-alive connections."""
    target = urllib.parse.urlsplit(url)
    path = target.path + (f"?{target.query}" if target.query else "")
    statuses: dict[int, int] = {}
    lock = threading.Lock()

    def client(count: int) -> None:
        conn = http.client.HTTPConnection(target.hostname or "", target.port, timeout=600)
        for _ in range(count):
            conn.request(request.method, path, body=request.body, headers=request.headers)
            response = conn.getresponse()
            response.read()
            with lock:
                statuses[response.status] = statuses.get(response.status, 0) + 1
        conn.close()

    share = [requests // connections + (n < requests % connections) for n in range(connections)]
    threads = [threading.Thread(target=client, args=(count,)) for count in share]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


def _serve(
    scenario: Scenario,
    run: Run,
    args: argparse.Namespace,
    wrap: list[str],
    measure: Callable[[Any, str, Request], dict[str, Any]],
) -> dict[str, Any]:
    with served(scenario, run, args, wrap, up_within=300) as (proc, url, request):
        return measure(proc, url, request)


def instructions(scenario: Scenario, run: Run, args: argparse.Namespace) -> dict[str, Any]:
    dumps = Path(tempfile.mkdtemp(prefix="maigie-callgrind-"))

    def measure(proc: Any, url: str, request: Request) -> dict[str, Any]:
        def control(*flags: str) -> None:
            subprocess.run(["callgrind_control", *flags, str(proc.pid)], capture_output=True)

        def dumped() -> int:
            """Dump the counters (zeroed before): the instructions since."""
            before = set(dumps.iterdir())
            control("-d")
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                for new in set(dumps.iterdir()) - before:
                    for line in new.read_text(errors="replace").splitlines():
                        if line.startswith(("totals:", "summary:")):
                            return int(line.split()[1])
                time.sleep(0.2)
            raise RuntimeError("callgrind wrote no dump")

        control("-i", "on")
        load(url, request, max(args.requests // 4, 20), args.connections)  # warm-up
        control("-z")
        started = time.monotonic()
        time.sleep(args.idle)
        idle_rate = dumped() / (time.monotonic() - started)
        control("-z")
        started = time.monotonic()
        statuses = load(url, request, args.requests, args.connections)
        took = time.monotonic() - started
        work = dumped() - idle_rate * took
        return {"value": work / args.requests, "statuses": statuses}

    wrap = [
        "valgrind",
        "--tool=callgrind",
        "--instr-atstart=no",
        f"--callgrind-out-file={dumps / 'callgrind.%p'}",
    ]
    try:
        return _serve(scenario, run, args, wrap, measure)
    finally:
        shutil.rmtree(dumps, ignore_errors=True)


# One call per HTTP request: Quart's Request.__init__, a plain function (cProfile counts
# every resumption of a coroutine as a call, so a coroutine would count its awaits too).
def _request_key() -> tuple[str, int, str]:
    from quart.wrappers.request import Request as QuartRequest

    code = QuartRequest.__init__.__code__
    return (code.co_filename, code.co_firstlineno, code.co_name)


def calls(scenario: Scenario, run: Run, args: argparse.Namespace) -> dict[str, Any]:
    stats_file = Path(tempfile.mkdtemp(prefix="maigie-calls-")) / "calls.prof"

    def measure(proc: Any, url: str, request: Request) -> dict[str, Any]:
        load(url, request, max(args.requests // 4, 20), args.connections)  # warm-up
        proc.send_signal(signal.SIGUSR1)
        time.sleep(0.3)
        statuses = load(url, request, args.requests, args.connections)
        proc.send_signal(signal.SIGUSR2)
        deadline = time.monotonic() + 60
        while not stats_file.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(0.5)  # let the dump finish
        raw: dict[Any, Any] = pstats.Stats(str(stats_file)).stats  # type: ignore[attr-defined]
        if args.save:
            shutil.copy(stats_file, args.save.replace("{}", scenario.name))
        requests = raw.get(_request_key(), (0, 0))[1]
        total = sum(ncalls for (_cc, ncalls, *_rest) in raw.values())
        return {
            "value": total / max(requests, 1),
            "statuses": statuses,
            "top": _top(raw, requests, args.top),
        }

    os.environ["MAIGIE_PROFILE_OUT"] = str(stats_file)
    wrap = [sys.executable, str(HERE / "profiled_server.py")]
    try:
        return _serve(scenario, run, args, wrap, measure)
    finally:
        shutil.rmtree(stats_file.parent, ignore_errors=True)


def _top(raw: dict[Any, Any], requests: int, n: int) -> list[tuple[float, float, str]]:
    own = sorted(((tt, nc, key) for key, (_cc, nc, tt, *_r) in raw.items()), reverse=True)
    all_time = sum(tt for tt, _n, _k in own) or 1.0
    return [(tt / all_time, nc / max(requests, 1), _where(key)) for tt, nc, key in own[:n]]


def _where(key: tuple[str, int, str]) -> str:
    file, line, name = key
    if file == "~":
        return name  # a builtin
    short = file.split("site-packages/")[-1].split("/lib/python3.11/")[-1].split("/work/")[-1]
    return f"{name} ({short}:{line})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default="bare,goals_create,goals_list")
    parser.add_argument("--database-url", default="", help="default: SQLite in a temp dir")
    parser.add_argument("--redis-url", default="")
    parser.add_argument("--requests", type=int, default=400, help="requests measured")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--idle", type=float, default=3.0, help="seconds of idle baseline")
    parser.add_argument("--measure", default="instructions,calls", help="instructions and/or calls")
    parser.add_argument("--top", type=int, default=0, help="the N functions of most own time")
    parser.add_argument("--save", default="", help="keep cProfile stats: a path with {}")
    args = parser.parse_args()
    measures = set(filter(None, args.measure.split(",")))
    if "instructions" in measures and shutil.which("valgrind") is None:
        sys.exit("instructions need valgrind (apt-get install -y valgrind) or --measure calls")
    engine = "PostgreSQL" if args.database_url.startswith("postgres") else "SQLite"
    run = Run(engine, args.database_url, args.redis_url, 1)
    print(f"== {run.label}: {args.requests} requests over {args.connections} connections")
    floor: dict[str, float] = {}
    for name in filter(None, args.only.split(",")):
        scenario = next(s for s in SCENARIOS if s.name == name)
        line = f"{name:>20}"
        for what, how, unit, scale in (
            ("instructions", instructions, "M instructions", 1e6),
            ("calls", calls, "calls", 1.0),
        ):
            if what not in measures:
                continue
            result = how(scenario, run, args)
            value = result["value"] / scale
            if name == "bare":
                floor[what] = value
            ratio = f" ({value / floor[what]:.2f}x bare)" if floor.get(what) else ""
            line += f"  {value:8.2f} {unit}/request{ratio}"
            bad = {s: n for s, n in result["statuses"].items() if s >= 400}
            if bad:
                line += f"  errors {bad}"
            print(line, flush=True)
            line = " " * 20
            for share, per_request, where in result.get("top", []):
                print(f"{'':>22}{share:6.1%} own time {per_request:7.1f} calls/req  {where}")


if __name__ == "__main__":
    main()
