"""The real ``maigie serve --workers N`` as a subprocess, for tests of what only several
worker processes show (shared metrics, shutdown of every worker)."""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from process_support import serve_env
from wait_support import free_port

SERVE = [sys.executable, "-m", "maigie_core", "serve"]


class Served:
    """A running ``maigie serve``: its process, base URL and combined output."""

    def __init__(self, proc: subprocess.Popen[bytes], port: int, log: Path) -> None:
        self.proc, self.port, self.log = proc, port, log
        self.base = f"http://127.0.0.1:{port}"

    def get(self, path: str, headers: dict[str, str] | None = None) -> str:
        """GET on a new connection (so either worker may answer); raises on non-2xx."""
        request = urllib.request.Request(
            self.base + path, headers={"Connection": "close", **(headers or {})}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return str(response.read().decode())

    def worker_pids(self) -> list[int]:
        """The worker processes: children of the serving process started by
        multiprocessing's spawn (not its resource tracker, also a child)."""
        pids = []
        for proc in Path("/proc").glob("[0-9]*"):
            with contextlib.suppress(OSError):
                # "pid (comm) state ppid ...": comm may hold spaces, so split after ")"
                ppid = int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
                if ppid == self.proc.pid and b"--multiprocessing-fork" in (
                    proc / "cmdline"
                ).read_bytes().split(b"\0"):
                    pids.append(int(proc.name))
        return sorted(pids)

    def output(self) -> str:
        return self.log.read_text()


@contextlib.contextmanager
def served(
    tmp_path: Path, env: dict[str, str | None], workers: int = 2, within: float = 60
) -> Iterator[Served]:
    """Start ``maigie serve --workers N`` with ``env`` over the test's environment (None
    removes a variable); yield once every worker answers; SIGTERM (then kill) at exit."""
    port = free_port()
    environ = serve_env(tmp_path, **{k: v for k, v in env.items() if v is not None})
    for name in [k for k, v in env.items() if v is None]:
        environ.pop(name, None)
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [*SERVE, "--workers", str(workers), "--host", "127.0.0.1", "--port", str(port)],
            env=environ,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    server = Served(proc, port, log)
    try:
        _wait_for_every_worker(server, workers, within)
        yield server
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _wait_for_every_worker(server: Served, workers: int, within: float) -> None:
    """Until ``workers`` different processes have answered ``/health`` (each hub names its
    process; a new connection per request reaches whichever worker accepts it first)."""
    seen: set[str] = set()
    deadline = time.monotonic() + within
    while len(seen) < workers:
        if server.proc.poll() is not None or time.monotonic() > deadline:
            raise AssertionError(f"{len(seen)} of {workers} workers up:\n{server.output()}")
        try:
            health = json.loads(server.get("/health"))
            seen.add(health["checks"]["realtime"]["detail"]["process"])
        except urllib.error.HTTPError as exc:  # 503 while a dependency is starting
            with contextlib.suppress(ValueError, KeyError):
                seen.add(json.loads(exc.read())["checks"]["realtime"]["detail"]["process"])
        except OSError:
            pass  # not listening yet
        time.sleep(0.05)
