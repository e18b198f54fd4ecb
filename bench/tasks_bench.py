"""Benchmark: N no-op tasks through Redis with one worker — Maigie (Huey) next to Celery.

    python bench/tasks_bench.py [--redis redis://127.0.0.1:6379/3] [-n 10000]

Both sides use the same Redis (distinct keys), store every result (Huey ``store_none``,
Celery's Redis result backend), enqueue from one client process one task at a time,
and run one worker process with one execution slot:

* Maigie: ``maigie worker --workers 1 --no-periodic`` with a plugin whose task is a
  no-op; the client enqueues with ``TaskQueue.enqueue_sync``.
* Celery: ``celery worker -c 1`` with the ``solo`` pool (its fastest single-slot mode)
  and with the default ``prefork`` pool; the client calls ``noop.delay(i)``.

A run times *enqueue* (client side) and *end to end* (first enqueue until the last
task's result exists, the worker running throughout). Celery is installed on first
use into ``bench/.venv-celery`` (gitignored): it is never a dependency of Maigie.
Results are printed and written to ``bench/results/tasks.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import time
import uuid
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
CELERY_VENV = HERE / ".venv-celery"

NOOP_PLUGIN = """
from maigie_core import hookimpl
from maigie_core.tasks import task

@task("bench.noop", description="Does nothing")
def noop(i):
    return None

@hookimpl
def register_tasks():
    return [noop]
"""

CELERY_APP = """
import os
from celery import Celery

URL = os.environ["BENCH_REDIS_URL"]
app = Celery("bench", broker=URL, backend=URL)
app.conf.update(
    task_default_queue=os.environ["BENCH_QUEUE"],
    result_expires=3600,
    broker_connection_retry_on_startup=True,
    worker_hijack_root_logger=False,
)

@app.task(name="noop")
def noop(i):
    return None
"""

CELERY_CLIENT = """
import json, sys, time
from celery_bench_app import noop

n = int(sys.argv[1])
for i in range(50):  # warm-up: worker and connections ready
    last = noop.delay(i)
last.get(timeout=60)
start = time.perf_counter()
for i in range(n):
    last = noop.delay(i)
enqueued = time.perf_counter()
last.get(timeout=600)
done = time.perf_counter()
print(json.dumps({"enqueue_s": enqueued - start, "total_s": done - start}))
"""


def ensure_celery() -> Path:
    python = CELERY_VENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(CELERY_VENV)], check=True)
    check = subprocess.run([str(python), "-c", "import celery, redis"], capture_output=True)
    if check.returncode != 0:
        subprocess.run([str(python), "-m", "pip", "install", "-q", "celery[redis]"], check=True)
    return python


def rates(n: int, timing: dict[str, float]) -> dict[str, float]:
    return {
        "enqueue_per_s": round(n / timing["enqueue_s"]),
        "end_to_end_per_s": round(n / timing["total_s"]),
        "total_s": round(timing["total_s"], 2),
    }


def bench_maigie(redis_url: str, n: int, tmp: Path) -> dict[str, float]:
    site = tmp / "site"
    info = site / "maigie_bench_noop-1.0.dist-info"
    info.mkdir(parents=True)
    (site / "maigie_bench_noop.py").write_text(NOOP_PLUGIN)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: maigie-bench-noop\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[maigie.plugins]\nbench = maigie_bench_noop\n")
    sys.path.insert(0, str(site))
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("MAIGIE_", "TASKS_", "REDIS_", "DATABASE_"))
    }
    env.update(
        PYTHONPATH=os.pathsep.join(filter(None, [str(site), os.environ.get("PYTHONPATH")])),
        MAIGIE_DATA_DIR=str(tmp / "data"),
        REDIS_URL=redis_url,
        REDIS_KEY_PREFIX=f"bench{uuid.uuid4().hex[:8]}:",
        ENVIRONMENT="development",
        LOG_LEVEL="WARNING",
    )
    maigie = [sys.executable, "-m", "maigie_core"]
    subprocess.run([*maigie, "migrate"], env=env, check=True, capture_output=True)

    import maigie_bench_noop  # type: ignore[import-not-found]

    from maigie_core import create_app
    from maigie_core.runtime import runtime
    from maigie_core.settings import load_settings

    app = create_app(
        load_settings(environ=env), plugins={"bench": maigie_bench_noop}, entry_points=False
    )
    queue = runtime(app).queue
    assert queue is not None
    log = (tmp / "maigie-worker.log").open("w")
    worker = subprocess.Popen(
        [*maigie, "worker", "--workers", "1", "--no-periodic"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        for i in range(50):  # warm-up: worker and connections ready
            last = queue.enqueue_sync("bench.noop", (i,))
        queue.result(last.id, timeout=60)
        start = time.perf_counter()
        for i in range(n):
            last = queue.enqueue_sync("bench.noop", (i,))
        enqueued = time.perf_counter()
        queue.result(last.id, timeout=600)
        done = time.perf_counter()
    finally:
        worker.terminate()
        worker.wait(60)
        log.close()
        queue.huey.storage.flush_all()
    return rates(n, {"enqueue_s": enqueued - start, "total_s": done - start})


def bench_celery(redis_url: str, n: int, tmp: Path, pool: str) -> dict[str, float]:
    python = ensure_celery()
    work = tmp / f"celery-{pool}"
    work.mkdir()
    (work / "celery_bench_app.py").write_text(CELERY_APP)
    (work / "client.py").write_text(CELERY_CLIENT)
    env = dict(os.environ, BENCH_REDIS_URL=redis_url, BENCH_QUEUE=f"bench-{uuid.uuid4().hex[:8]}")
    env.pop("PYTHONPATH", None)
    log = (work / "worker.log").open("w")
    worker = subprocess.Popen(
        [
            str(python),
            "-m",
            "celery",
            "-A",
            "celery_bench_app",
            "worker",
            "-c",
            "1",
            "-P",
            pool,
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-l",
            "WARNING",
        ],
        cwd=work,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        out = subprocess.run(
            [str(python), "client.py", str(n)],
            cwd=work,
            env=env,
            capture_output=True,
            text=True,
            check=True,
            timeout=900,
        )
    finally:
        worker.terminate()
        worker.wait(60)
        log.close()
    return rates(n, json.loads(out.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--redis", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/3")
    )
    parser.add_argument("-n", type=int, default=10_000)
    parser.add_argument("--skip-celery", action="store_true")
    args = parser.parse_args()
    results: dict[str, Any] = {"tasks": args.n, "redis": args.redis, "cpus": os.cpu_count()}
    with tempfile.TemporaryDirectory() as tmp:
        results["maigie_huey"] = bench_maigie(args.redis, args.n, Path(tmp))
        print("maigie (huey), 1 worker thread:", results["maigie_huey"], flush=True)
        if not args.skip_celery:
            for pool in ("solo", "prefork"):
                results[f"celery_{pool}"] = bench_celery(args.redis, args.n, Path(tmp), pool)
                print(f"celery ({pool} pool, -c 1):", results[f"celery_{pool}"], flush=True)
    out = HERE / "results" / "tasks.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(textwrap.dedent(f"written to {out}"))


if __name__ == "__main__":
    main()
