"""HTTP benchmark: starts the servers itself, loads them with wrk, prints a table.

    python bench/http_bench.py                       # embedded default (SQLite)
    python bench/http_bench.py --database-url postgresql://postgres@127.0.0.1/bench
    python bench/http_bench.py --duration 5 --connections 32 --only root,health
    python bench/http_bench.py --all --scaling root,goals_list --profile goals_list
                                                     # what `make bench` runs

``--all`` measures SQLite, then PostgreSQL + Redis (``--pg-url``, ``--redis-bench-url``;
the database is created when missing) when they answer. ``--scaling`` measures the
named scenarios again with one more worker; ``--profile`` runs one more pass of a
scenario under py-spy and writes its hottest functions to
bench/results/profile-<scenario>.md (and the raw stacks next to it).

Every scenario runs against its own fresh server process (one hypercorn worker unless
--workers), one at a time, after a warm-up, with the same wrk settings. A bare
Quart + hypercorn app is measured in the same run as the ceiling, so the ratio between
them is meaningful on a noisy shared machine. Results go to stdout and to
bench/results/http.md (+ .json).

Scenarios are declared in SCENARIOS below; a scenario's ``setup`` gets the base URL and
returns the request (headers, body) to replay, so authenticated routes fit too. A
scenario may also ``seed`` data once its server is up (``seed(base_url, server_env)``:
the environment names the server's database, for bulk inserts in SQL) and fix its own
``connections`` (e.g. 1 for a single-client latency measurement).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"


@dataclass
class Request:
    method: str = "GET"
    headers: dict[str, str] = field(default_factory=dict)
    body: str | None = None


@dataclass
class Scenario:
    name: str
    path: str
    server: str = "maigie"  # or "bare"
    setup: Callable[[str], Request] | None = None
    note: str = ""
    seed: Callable[[str, dict[str, str]], None] | None = None  # (base_url, server env)
    connections: int | None = None  # overrides --connections (and caps --threads)
    env: dict[str, str] = field(default_factory=dict)  # extra server settings


def _no_setup(base: str) -> Request:
    return Request()


SCENARIOS: list[Scenario] = [
    Scenario("bare", "/", server="bare", note="bare Quart + hypercorn, the ceiling"),
    Scenario("root", "/", note="GET / through the whole core"),
    Scenario("health", "/health", note="GET /health (database check)"),
]


# -- the goals plugin (issue 6): a premium user (no active-goals cap), PostgreSQL --------


def _call(
    base: str, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        base + path,
        data=data,
        method=method,
        headers={"Content-Type": "application/json", **(headers or {})},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            text = response.read()
    except urllib.error.HTTPError as exc:
        raise RuntimeError(f"{method} {path}: {exc.code} {exc.read().decode()}") from None
    return json.loads(text) if text else None


_GOALS_PASSWORD = "bench password 123"
_goals_users: dict[str, str] = {}  # scenario name -> e-mail of the user it seeded


def _goal_body(n: int, tasks: bool = True) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": f"Pass the algorithms exam, part {n}",
        "description": "Graphs, dynamic programming and greedy algorithms",
        "target_date": "2027-01-15",
    }
    if tasks:
        body["tasks"] = [
            {"title": f"Chapter {i}", "due_at": f"2026-12-0{i}T09:00:00Z"} for i in (1, 2, 3)
        ]
    return body


def _goals_login(base: str, scenario: str) -> dict[str, str]:
    tokens = _call(
        base,
        "POST",
        "/api/v1/auth/login",
        {"email": _goals_users[scenario], "password": _GOALS_PASSWORD},
    )
    return {"Authorization": f"Bearer {tokens['access_token']}"}


def _goals_seed(scenario: str, goals: int) -> Callable[[str, dict[str, str]], None]:
    """Register a user through the API, make it premium (CLI), create ``goals`` goals."""

    def seed(base: str, env: dict[str, str]) -> None:
        email = _goals_users[scenario] = f"{scenario}-{time.time_ns()}@example.com"
        _call(base, "POST", "/api/v1/auth/register", {"email": email, "password": _GOALS_PASSWORD})
        subprocess.run(
            [sys.executable, "-m", "maigie_core", "users", "set-tier", email, "premium_monthly"],
            env=env,
            check=True,
            capture_output=True,
        )
        headers = _goals_login(base, scenario)
        for n in range(goals):
            _call(base, "POST", "/api/v1/goals", _goal_body(n), headers)

    return seed


def setup_goals_list(base: str) -> Request:
    """GET the first page: 20 goals of 3 tasks each."""
    return Request("GET", _goals_login(base, "goals_list"))


def setup_goals_create(base: str) -> Request:
    """POST one goal (title, description, target date)."""
    headers = {**_goals_login(base, "goals_create"), "Content-Type": "application/json"}
    return Request("POST", headers, json.dumps(_goal_body(0, tasks=False)))


SCENARIOS += [
    Scenario(
        "goals_list",
        "/api/v1/goals",
        setup=setup_goals_list,
        seed=_goals_seed("goals_list", 20),
        note="authenticated GET of 20 goals with 3 tasks each",
    ),
    Scenario(
        "goals_create",
        "/api/v1/goals",
        setup=setup_goals_create,
        seed=_goals_seed("goals_create", 0),
        note="authenticated POST of one goal",
    ),
]


# -- accounts (issue 3): authenticated GET /api/v1/auth/me --------------------------------


def setup_auth_me(base: str) -> Request:
    """GET /me as the user the goals_create seed registered (no goals needed)."""
    return Request("GET", _goals_login(base, "auth_me"))


SCENARIOS += [
    Scenario(
        "auth_me",
        "/api/v1/auth/me",
        setup=setup_auth_me,
        seed=_goals_seed("auth_me", 0),
        note="authenticated GET /me (with Redis: the user from the invalidated cache)",
    ),
]


# -- the resources plugin (issue 8): one client, 10,000 resources seeded in SQL ----------

import resources_bench  # noqa: E402


def setup_resources(base: str) -> Request:
    return Request("GET", resources_bench.login_headers(base))


SCENARIOS += [
    Scenario(
        "resources_search",
        "/api/v1/resources?q=graph%20algorithms",
        setup=setup_resources,
        seed=resources_bench.seed,
        connections=1,
        note="full-text search, 2 terms (~1% of 10,000 match), first page of 20",
    ),
    Scenario(
        "resources_search_common",
        "/api/v1/resources?q=learning",
        setup=setup_resources,
        seed=resources_bench.seed,
        connections=1,
        note="full-text search, a term in half of 10,000 resources, first page of 20",
    ),
    Scenario(
        "resources_list",
        "/api/v1/resources",
        setup=setup_resources,
        seed=resources_bench.seed,
        connections=1,
        note="newest first, no q, first page of 20 (10,000 resources)",
    ),
]


# -- the schedule plugin (issue 7): a month of 10 weekly series --------------------------


def _schedule_request(base: str, method: str, path: str, body: Any, headers: dict[str, str]) -> Any:
    request = urllib.request.Request(
        base + path,
        data=json.dumps(body).encode(),
        method=method,
        headers={"Content-Type": "application/json", **headers},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def setup_schedule_month(base: str) -> Request:
    """A user with 10 weekly series (two a weekday, 09:00 and 14:00 UTC, begun a week
    before the window); GET one page of the 4 weeks' 40 occurrences (limit=100)."""
    tokens = _schedule_request(
        base,
        "POST",
        "/api/v1/auth/register",
        {"email": f"schedule-{time.time_ns()}@example.com", "password": "bench password 123"},
        {},
    )
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    for n in range(10):
        day = 1 + n % 5  # 2027-02-01 is a Monday
        hour = 9 if n < 5 else 14
        start = f"2027-02-{day:02d}T{hour:02d}:00:00Z"
        end = f"2027-02-{day:02d}T{hour + 1:02d}:30:00Z"
        _schedule_request(
            base,
            "POST",
            "/api/v1/schedule",
            {"title": f"Series {n}", "start_at": start, "end_at": end, "rrule": "FREQ=WEEKLY"},
            headers,
        )
    return Request("GET", headers)


SCENARIOS += [
    Scenario(
        "schedule_month",
        "/api/v1/schedule?start=2027-02-08T00:00:00Z&end=2027-03-08T00:00:00Z&limit=100",
        setup=setup_schedule_month,
        note="a month (4 weeks) of 10 weekly series expanded: 40 occurrences, one page",
    ),
]

# -- the AI plugin (issue 9): the offline assistant, 4 clients ---------------------------


AI_MESSAGE = "How am I doing with my goals?"
_AI_PASSWORD = "bench password 123"
_ai_user: dict[str, str] = {}


def _ai_post(base: str, path: str, body: Any, headers: dict[str, str] | None = None) -> Any:
    request = urllib.request.Request(
        base + path,
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Content-Type": "application/json", **(headers or {})},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def seed_ai_chat(base: str, env: dict[str, str]) -> None:
    """A premium user (no monthly message quota), made so with the CLI."""
    email = _ai_user["email"] = f"ai-chat-{time.time_ns()}@example.com"
    _ai_post(base, "/api/v1/auth/register", {"email": email, "password": _AI_PASSWORD})
    subprocess.run(
        [sys.executable, "-m", "maigie_core", "users", "set-tier", email, "premium_monthly"],
        env=env,
        check=True,
        capture_output=True,
    )


def setup_ai_chat(base: str) -> Request:
    """Ask for progress: intent parsing, the list_goals and list_courses actions, a new
    conversation stored (3 rows), the reply streamed as ai.message events."""
    tokens = _ai_post(
        base, "/api/v1/auth/login", {"email": _ai_user["email"], "password": _AI_PASSWORD}
    )
    headers = {
        "Authorization": f"Bearer {tokens['access_token']}",
        "Content-Type": "application/json",
    }
    return Request("POST", headers, json.dumps({"message": AI_MESSAGE}))


SCENARIOS += [
    Scenario(
        "ai_chat",
        "/api/v1/ai/chat",
        setup=setup_ai_chat,
        seed=seed_ai_chat,
        connections=4,
        env={"AI_CHAT_RATE_PER_MINUTE": "1000000"},
        note="POST a progress question to the offline assistant (2 actions, 3 inserts)",
    ),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until_up(url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"server at {url} did not come up")


def server_env(run: Run, data_dir: Path) -> dict[str, str]:
    env = {**os.environ, "MAIGIE_DATA_DIR": str(data_dir)}
    if run.database_url:
        env["DATABASE_URL"] = run.database_url
    if run.redis_url:
        env["REDIS_URL"] = run.redis_url
    return env


def start_server(
    scenario: Scenario,
    run: Run,
    args: argparse.Namespace,
    data_dir: Path,
    wrap: list[str] | None = None,
    up_within: float = 30.0,
) -> tuple[Any, str]:
    """Start ``scenario``'s server and wait for it; ``wrap`` prefixes its command line
    (a profiler or valgrind, as bench/request_cost.py runs it)."""
    port = free_port()
    env = {**server_env(run, data_dir), **scenario.env}
    if scenario.server == "bare":
        cmd = [sys.executable, str(HERE / "bare_app.py"), str(port)]
    else:
        cmd = [sys.executable, "-m", "maigie_core", "serve", "--port", str(port)]
        cmd += ["--workers", str(run.workers)]
        if run.database_url:
            subprocess.run(
                [sys.executable, "-m", "maigie_core", "migrate"],
                env=env,
                check=True,
                capture_output=True,
            )
    log = open(data_dir / f"{scenario.name}.log", "w")  # noqa: SIM115 - closed with the process
    proc = subprocess.Popen([*(wrap or []), *cmd], env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    wait_until_up(base + "/", up_within)
    return proc, base


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0}


def _ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text.strip()).groups()  # type: ignore[union-attr]
    return float(value) * _UNITS[unit]


def run_wrk(
    url: str,
    request: Request,
    args: argparse.Namespace,
    duration: float,
    connections: int | None = None,
) -> dict[str, Any]:
    lua = None
    conns = connections or args.connections
    threads = min(args.threads, conns)
    cmd = ["wrk", f"-t{threads}", f"-c{conns}", f"-d{max(1, round(duration))}s", "--latency"]
    if request.method != "GET" or request.headers or request.body:
        lines = [f'wrk.method = "{request.method}"']
        for key, value in request.headers.items():
            lines.append(f"wrk.headers[{json.dumps(key)}] = {json.dumps(value)}")
        if request.body is not None:
            lines.append(f"wrk.body = {json.dumps(request.body)}")
        lua = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)  # noqa: SIM115
        lua.write("\n".join(lines) + "\n")
        lua.close()
        cmd += ["-s", lua.name]
    out = subprocess.run([*cmd, url], capture_output=True, text=True, check=True).stdout
    if lua:
        os.unlink(lua.name)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    pct = dict(re.findall(r"^\s+(50|99)%\s+(\S+)$", out, re.M))
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors:.*", out)
    return {
        "rps": rps,
        "requests": total,
        "p50_ms": _ms(pct["50"]),
        "p99_ms": _ms(pct["99"]),
        "non_2xx": int(non2xx.group(1)) if non2xx else 0,
        "socket_errors": errors.group(0) if errors else "",
        "connections": conns,
    }


@dataclass
class Run:
    """One configuration to measure the scenarios on: an engine and a worker count."""

    engine: str  # "SQLite" or "PostgreSQL"
    database_url: str = ""
    redis_url: str = ""
    workers: int = 1

    @property
    def label(self) -> str:
        services = f"{self.engine} + Redis" if self.redis_url else self.engine
        return f"{services}, {self.workers} worker{'s' if self.workers > 1 else ''}"


@contextlib.contextmanager
def served(
    scenario: Scenario,
    run: Run,
    args: argparse.Namespace,
    wrap: list[str] | None = None,
    up_within: float = 30.0,
) -> Iterator[tuple[Any, str, Request]]:
    """A fresh, seeded server for ``scenario``: (its process, the URL, the request)."""
    with tempfile.TemporaryDirectory(prefix="maigie-bench-") as tmp:
        proc, base = start_server(scenario, run, args, Path(tmp), wrap, up_within)
        try:
            if scenario.seed is not None:
                scenario.seed(base, server_env(run, Path(tmp)))
            yield proc, base + scenario.path, (scenario.setup or _no_setup)(base)
        finally:
            proc.terminate()
            proc.wait(timeout=60)


def measure(
    scenario: Scenario, run: Run, args: argparse.Namespace, profile_to: Path | None = None
) -> dict[str, Any]:
    """Start a fresh server for ``scenario``, seed it, warm it up and load it with wrk.

    With ``profile_to``, py-spy samples the server during the measured part instead
    (a profiling pass: its numbers are not reported, sampling slows the server).
    """
    with served(scenario, run, args) as (proc, url, request):
        run_wrk(url, request, args, args.warmup, scenario.connections)
        if profile_to is None:
            cpu = cpu_seconds(proc.pid)
            result = run_wrk(url, request, args, args.duration, scenario.connections)
            cpu = cpu_seconds(proc.pid) - cpu
            result["cpu_us"] = cpu / max(result["requests"], 1) * 1e6
        else:
            result = _profiled(proc.pid, url, request, args, scenario, profile_to)
    result.update(name=scenario.name, path=scenario.path, note=scenario.note, run=run.label)
    result["workers"] = 1 if scenario.server == "bare" else run.workers
    return result


_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of ``pid`` and its children (the workers), from /proc.

    Server CPU per request is steadier than requests/s on a shared machine: it does not
    count time the server spent waiting for a core.
    """
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if stat.parent.name == str(pid) or fields[1] == str(pid):  # fields[1]: ppid
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / _TICK


def _profiled(
    pid: int,
    url: str,
    request: Request,
    args: argparse.Namespace,
    scenario: Scenario,
    out: Path,
) -> dict[str, Any]:
    """Run wrk while py-spy records the server; write a flame graph and a top table."""
    if shutil.which("py-spy") is None and not (Path(sys.executable).parent / "py-spy").exists():
        sys.exit("--profile needs py-spy: pip install py-spy")
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    raw = out.with_suffix(".txt")
    common = [spy, "record", "--pid", str(pid), "--duration", str(args.duration), "--rate", "250"]
    recorder = subprocess.Popen(
        [*common, "--format", "raw", "--output", str(raw)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(0.5)  # let py-spy attach before the load starts
    result = run_wrk(url, request, args, args.duration, scenario.connections)
    recorder.wait(timeout=args.duration + 30)
    out.with_suffix(".md").write_text(summarise_profile(raw, scenario, result))
    return result


_FRAME = re.compile(r" \((?:.*?/(?:site-packages|lib/python3[.\d]*|work/[^/]+)/)?(.*?)(?::\d+)?\)$")


def summarise_profile(raw: Path, scenario: Scenario, result: dict[str, Any]) -> str:
    """The hottest functions of a py-spy ``--format raw`` (collapsed stacks) recording:
    self time (the frame on top of the stack) and total time (anywhere on the stack)."""
    self_time: dict[str, int] = {}
    total_time: dict[str, int] = {}
    samples = 0
    for line in raw.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        samples += count
        # "func (/path/to/site-packages/pkg/mod.py:123)" -> "func (pkg/mod.py)": a
        # function's lines are summed, library paths shortened
        frames = [_FRAME.sub(r" (\1)", f) for f in stack.split(";")]
        self_time[frames[-1]] = self_time.get(frames[-1], 0) + count
        for frame in set(frames):
            total_time[frame] = total_time.get(frame, 0) + count

    def table(title: str, counts: dict[str, int], n: int) -> list[str]:
        # frames on (nearly) every stack (the event loop, the CLI) say nothing
        rows = [kv for kv in counts.items() if kv[1] < 0.9 * samples]
        rows = sorted(rows, key=lambda kv: -kv[1])[:n]
        lines = [f"### {title}", "", "| share | function (file) |", "| ---: | --- |"]
        lines += [f"| {c / samples:.1%} | `{frame}` |" for frame, c in rows]
        return [*lines, ""]

    head = [
        f"# Profile of `{scenario.name}` ({scenario.path})",
        "",
        f"py-spy, 250 samples/s for {result['connections']} wrk connections; {samples} samples "
        f"while serving {result['rps']:.0f} req/s (sampling slows the server).",
        "",
    ]
    if not samples:
        return "\n".join([*head, "py-spy recorded nothing (is ptrace allowed here?)", ""])
    return "\n".join(
        [*head, *table("Self time", self_time, 25), *table("Total time", total_time, 40)]
    )


def postgres_reachable(url: str) -> bool:
    """True when ``url``'s server answers (the database is created when missing)."""
    try:
        import psycopg
    except ImportError:
        return False
    base, _, name = url.rpartition("/")
    try:
        with psycopg.connect(f"{base}/postgres", connect_timeout=3, autocommit=True) as conn:
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
                conn.execute(f'CREATE DATABASE "{name}"')
        return True
    except psycopg.Error:
        return False


def redis_reachable(url: str) -> bool:
    try:
        import redis
    except ImportError:
        return False
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=3).ping())
    except redis.RedisError:
        return False


def plan_runs(args: argparse.Namespace) -> list[Run]:
    if not args.all:
        engine = "PostgreSQL" if args.database_url.startswith("postgres") else "SQLite"
        return [Run(engine, args.database_url, args.redis_url, args.workers)]
    runs = [Run("SQLite", workers=args.workers)]
    if postgres_reachable(args.pg_url):
        redis_url = args.redis_bench_url if redis_reachable(args.redis_bench_url) else ""
        runs.append(Run("PostgreSQL", args.pg_url, redis_url, args.workers))
    else:
        print(f"PostgreSQL at {args.pg_url} unreachable: measuring SQLite only", flush=True)
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per scenario")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of warm-up")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--workers", type=int, default=1, help="hypercorn workers")
    parser.add_argument(
        "--scaling",
        default="",
        metavar="SCENARIOS",
        help="comma-separated scenarios measured again with --workers + 1 (scaling)",
    )
    parser.add_argument("--database-url", default="", help="default: SQLite in a temp dir")
    parser.add_argument("--redis-url", default="")
    parser.add_argument("--only", default="", help="comma-separated scenario names")
    parser.add_argument(
        "--all",
        action="store_true",
        help="SQLite, then PostgreSQL + Redis (--pg-url, --redis-bench-url) when reachable",
    )
    parser.add_argument("--pg-url", default="postgresql://postgres@127.0.0.1:5432/maigie_bench")
    parser.add_argument("--redis-bench-url", default="redis://127.0.0.1:6379/11")
    parser.add_argument(
        "--profile",
        default="",
        metavar="SCENARIO",
        help="also profile this scenario with py-spy (on the last engine, one worker)",
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: apt-get install -y wrk (or run `make bench`)")
    wanted = set(filter(None, args.only.split(",")))
    scaling = set(filter(None, args.scaling.split(",")))
    runs = plan_runs(args)
    started = machine_description()

    results = []
    for run in runs:
        print(f"== {run.label}", flush=True)
        more = Run(run.engine, run.database_url, run.redis_url, run.workers + 1)
        plan = [(s, run) for s in SCENARIOS if not wanted or s.name in wanted]
        plan += [(s, more) for s in SCENARIOS if s.name in scaling and s.server != "bare"]
        for scenario, with_workers in plan:
            result = measure(scenario, with_workers, args)
            results.append(result)
            print(
                f"{scenario.name:>24}  c{result['connections']:<3} {result['rps']:9.0f} req/s"
                f"  p50 {result['p50_ms']:6.2f} ms"
                f"  p99 {result['p99_ms']:6.2f} ms  cpu {result.get('cpu_us', 0):5.0f} µs/req"
                f"  non-2xx {result['non_2xx']}",
                flush=True,
            )
    if args.profile:
        scenario = next(s for s in SCENARIOS if s.name == args.profile)
        run = Run(runs[-1].engine, runs[-1].database_url, runs[-1].redis_url, 1)
        RESULTS.mkdir(exist_ok=True)
        measure(scenario, run, args, profile_to=RESULTS / f"profile-{scenario.name}")
        print(f"profile: {RESULTS / f'profile-{scenario.name}.md'}", flush=True)
    write_results(results, runs, args, started)


def machine_description() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_kb = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f"{mem_kb / 1024 / 1024:.0f} GiB"
    except (OSError, ValueError, IndexError):
        memory = "unknown memory"
    load = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    return (
        f"{cpu}, {os.cpu_count()} cores, {memory}, Python {platform.python_version()}, "
        f"{time.strftime('%Y-%m-%d %H:%M')}; load average before the run {load}"
    )


def write_results(
    results: list[dict[str, Any]], runs: list[Run], args: argparse.Namespace, machine: str
) -> None:
    RESULTS.mkdir(exist_ok=True)
    load = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    lines = [
        f"Machine: {machine}, after it {load}.",
        f"Load: wrk -t{args.threads} -c{args.connections} (unless the conns column says "
        f"otherwise), {args.warmup} s warm-up then {args.duration} s, a fresh server per "
        "scenario; wrk, the server and the database share the machine.",
        "",
    ]
    for run in runs:
        engine = run.label.rsplit(",", 1)[0]
        rows = [r for r in results if r["run"].startswith(engine)]
        bare = next((r["rps"] for r in rows if r["name"] == "bare"), None)
        label = engine
        lines += [
            f"### {label}",
            "",
            "| scenario | route | workers | conns | req/s | vs bare | p50 ms | p99 ms "
            "| server CPU µs/req | non-2xx |",
            "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        for r in rows:
            same_load = r["connections"] == args.connections
            ratio = f"{r['rps'] / bare:.0%}" if bare and same_load else "-"
            lines.append(
                f"| {r['name']} | `{r['path']}` | {r['workers']} | {r['connections']} "
                f"| {r['rps']:.0f} | {ratio} | {r['p50_ms']:.2f} | {r['p99_ms']:.2f} "
                f"| {r.get('cpu_us', 0):.0f} | {r['non_2xx']} |"
            )
        lines.append("")
    text = "\n".join(lines)
    (RESULTS / "http.md").write_text(text)
    (RESULTS / "http.json").write_text(
        json.dumps({"machine": machine, "results": results}, indent=2)
    )
    print("\n" + text)


if __name__ == "__main__":
    main()
