"""Task fixtures: the `maigie_tasktest` plugin, installed for worker subprocesses too.

``plugin_site`` writes a dist-info declaring the plugin's ``maigie.plugins`` entry
point, so a real ``maigie worker`` process (``PYTHONPATH`` = that site + this folder)
loads it like any installed plugin. Every other installed plugin is disabled for the
worker, so only the test plugin's tasks run.
"""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import maigie_tasktest
import pytest
from db_support import drop_keys, key_prefix
from process_support import Worker, only_plugin, worker_env
from quart import Quart
from task_support import run_cli
from wait_support import eventually

from maigie_core.runtime import runtime

HERE = Path(__file__).parent


@pytest.fixture(scope="session")
def plugin_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    site = tmp_path_factory.mktemp("site")
    info = site / "maigie_tasktest-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: maigie-tasktest\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[maigie.plugins]\ntasktest = maigie_tasktest\n")
    return site


@pytest.fixture(autouse=True)
def _clear_seen() -> None:
    maigie_tasktest.SEEN.clear()


class Harness:
    """An app (test process) plus worker processes sharing its database and queue."""

    def __init__(self, app: Quart, env: dict[str, str], tmp: Path) -> None:
        self.app = app
        self.env = env
        self.tmp = tmp
        self.workers: list[Worker] = []

    @property
    def queue(self) -> Any:
        return runtime(self.app).queue

    def start_worker(self, *args: str) -> Worker:
        worker = Worker(self.env, self.tmp / f"worker{len(self.workers)}.log", *args)
        self.workers.append(worker)
        return worker

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        return run_cli(self.env, *args)

    def logs(self) -> str:
        return "\n".join(f"--- {w.log.name}\n{w.output()}" for w in self.workers)

    def close(self) -> None:
        for worker in self.workers:
            worker.stop()


@pytest.fixture
async def make_harness(
    make_app: Callable[..., Quart], plugin_site: Path, tmp_path: Path
) -> AsyncIterator[Callable[..., Harness]]:
    """``make_harness(redis_url=None)``: a started-later app + env for worker processes."""
    made: list[Harness] = []
    prefixes: list[tuple[str, str]] = []

    def build(redis_url: str | None = None, **overrides: Any) -> Harness:
        settings: dict[str, Any] = {
            "TASKS_IMMEDIATE": False,
            "TASKS_EMBEDDED": False,
            "TASKS_HEARTBEAT_INTERVAL": 0.5,
        }
        if redis_url:
            prefix = key_prefix()
            settings.update(REDIS_URL=redis_url, REDIS_KEY_PREFIX=prefix)
            prefixes.append((redis_url, prefix))
        settings.update(overrides)
        app = make_app(plugins={"tasktest": maigie_tasktest}, **settings)
        only_plugin(app, "tasktest")
        env = worker_env(
            app,
            PYTHONPATH=os.pathsep.join(
                [str(plugin_site), str(HERE), *filter(None, [os.environ.get("PYTHONPATH")])]
            ),
            TASKS_SHUTDOWN_TIMEOUT="20",
            TASKS_LOST_AFTER="2",  # a killed worker's running task is settled after 2 s
        )
        harness = Harness(app, env, tmp_path)
        made.append(harness)
        return harness

    yield build
    for harness in made:
        harness.close()
    for url, prefix in prefixes:  # after the workers: they write keys until they stop
        await drop_keys(url, prefix)


@pytest.fixture(params=["sqlite", "redis"])
def backend(request: pytest.FixtureRequest) -> str | None:
    """Each consumer test runs on SQLite storage and on Redis (when configured)."""
    if request.param == "redis":
        url: str = request.getfixturevalue("redis_url")
        return url
    return None


__all__ = ["Harness", "eventually", "run_cli", "signal"]
