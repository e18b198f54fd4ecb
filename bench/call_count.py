"""Function calls per request: a noise-free companion to bench/http_bench.py.

    python bench/call_count.py --database-url postgresql://postgres@127.0.0.1/maigie_bench \\
        --redis-url redis://127.0.0.1:6379/11 --only goals_create,goals_list

Requests/s and even CPU µs/request move by 10-30% between runs on a shared 2-core
machine, which hides a change worth 5%. The number of Python and C function calls
the server makes per request does not depend on what else the machine does, so it
shows whether a change to the request path removed work: the server runs under
cProfile (bench/counted_server.py), switched on only while wrk loads it, and the
calls it recorded are divided by the requests Quart handled in that window.

It is a proxy, not a timing: a call to a cheap builtin counts as much as one to a
costly function. The table of the functions that cost the most *own* time under the
profiler (which inflates every call alike) says where the calls are. Event-loop
batching depends a little on timing (how many responses share one pass), so counts
move by a percent or so between runs; a real change moves them more.
"""

from __future__ import annotations

import argparse
import os
import pstats
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from http_bench import SCENARIOS, Run, _no_setup, run_wrk, server_env, start_server
from quart.wrappers.request import Request as QuartRequest

COUNTED = [sys.executable, str(Path(__file__).resolve().parent / "counted_server.py")]
# One call per HTTP request: Quart's Request.__init__, a plain function (cProfile counts
# every resumption of a coroutine as a call, so a coroutine would count its awaits too).
_INIT = QuartRequest.__init__.__code__
REQUESTS = (_INIT.co_filename, _INIT.co_firstlineno, _INIT.co_name)


def count(scenario_name: str, run: Run, args: argparse.Namespace) -> dict[str, Any]:
    scenario = next(s for s in SCENARIOS if s.name == scenario_name)
    with tempfile.TemporaryDirectory(prefix="maigie-calls-") as tmp:
        stats_file = Path(tmp) / "calls.prof"
        os.environ["MAIGIE_CALLS_OUT"] = str(stats_file)
        proc, base = start_server(scenario, run, args, Path(tmp), launcher=COUNTED)
        try:
            if scenario.seed is not None:
                scenario.seed(base, server_env(run, Path(tmp)))
            request = (scenario.setup or _no_setup)(base)
            url = base + scenario.path
            run_wrk(url, request, args, args.warmup, scenario.connections)
            proc.send_signal(signal.SIGUSR1)
            time.sleep(0.2)
            loaded = run_wrk(url, request, args, args.duration, scenario.connections)
            proc.send_signal(signal.SIGUSR2)
            deadline = time.monotonic() + 30
            while not stats_file.exists() and time.monotonic() < deadline:
                time.sleep(0.1)
            time.sleep(0.5)  # let the dump finish
            stats = pstats.Stats(str(stats_file))
            if args.save:
                Path(args.save).write_bytes(stats_file.read_bytes())
        finally:
            proc.terminate()
            proc.wait(timeout=15)
    raw: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    requests = raw[REQUESTS][1] if REQUESTS in raw else 0
    total = sum(ncalls for (_cc, ncalls, *_rest) in raw.values())
    own = sorted(
        ((tt, ncalls, key) for key, (_cc, ncalls, tt, *_rest) in raw.items()),
        reverse=True,
    )
    if args.by_calls:
        own.sort(key=lambda entry: entry[1], reverse=True)
    all_time = sum(tt for tt, _n, _k in own)
    return {
        "name": scenario_name,
        "requests": requests,
        "calls": total / max(requests, 1),
        "non_2xx": loaded["non_2xx"],
        "top": [
            (tt / all_time, n / max(requests, 1), _where(key)) for tt, n, key in own[: args.top]
        ],
    }


def _where(key: tuple[str, int, str]) -> str:
    file, line, name = key
    if file == "~":
        return name  # a builtin
    short = file.split("site-packages/")[-1].split("/lib/python3.11/")[-1]
    short = short.split("/work/")[-1]
    return f"{name} ({short}:{line})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default="goals_create,goals_list")
    parser.add_argument("--database-url", default="")
    parser.add_argument("--redis-url", default="")
    parser.add_argument("--duration", type=int, default=4)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--top", type=int, default=0, help="also list the N costliest functions")
    parser.add_argument("--save", default="", help="keep the cProfile stats in this file")
    parser.add_argument("--by-calls", action="store_true", help="rank --top by calls, not time")
    args = parser.parse_args()
    engine = "PostgreSQL" if args.database_url.startswith("postgres") else "SQLite"
    run = Run(engine, args.database_url, args.redis_url, 1)
    print(f"== {run.label}: function calls per request (cProfile, wrk -c{args.connections})")
    for name in filter(None, args.only.split(",")):
        result = count(name, run, args)
        seen = f"{result['requests']} requests, non-2xx {result['non_2xx']}"
        print(f"{name:>24}  {result['calls']:8.0f} calls/request  ({seen})")
        for share, calls, where in result["top"]:
            print(f"{'':>26}{share:6.1%} own time  {calls:6.1f} calls/req  {where}")


if __name__ == "__main__":
    main()
