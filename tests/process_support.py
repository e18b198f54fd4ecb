"""Processes a test starts besides its own: ``maigie worker`` for an app under test, and
server processes of their own (a module of its own: ``conftest`` names collide across
folders)."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

from auth_support import CHEAP_HASH
from quart import Quart

from maigie_core.plugins import write_plugin_state
from maigie_core.runtime import runtime


def serve_env(tmp_path: Path, **settings: Any) -> dict[str, str]:
    """The environment of a server process on a data dir and secret of its own: this
    process's (cheap password hashing) with ``settings`` on top."""
    return {
        **os.environ,
        **{k: str(v) for k, v in CHEAP_HASH.items()},
        "SECRET_KEY": uuid.uuid4().hex * 2,
        "MAIGIE_DATA_DIR": str(tmp_path / "data"),
        **{k: str(v) for k, v in settings.items()},
    }


def only_plugin(app: Quart, name: str) -> None:
    """Disable every other installed plugin: a worker process loads them all by entry point."""
    db = runtime(app).db
    for ep in entry_points(group="maigie.plugins"):
        if ep.name != name:
            write_plugin_state(db, ep.name, False)


def worker_env(app: Quart, **extra: str) -> dict[str, str]:
    """The environment of a worker process for ``app``: its data dir, database and Redis
    (none of this process's MAIGIE_/TASKS_/REDIS_/DATABASE_ variables), then ``extra``."""
    s = runtime(app).settings
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("MAIGIE_", "TASKS_", "REDIS_", "DATABASE_"))
    }
    env.update(
        MAIGIE_DATA_DIR=str(s.MAIGIE_DATA_DIR),
        DATABASE_URL=s.database_url,
        ENVIRONMENT="test",
        LOG_LEVEL="INFO",
        TASKS_HEARTBEAT_INTERVAL="0.5",
    )
    if s.REDIS_URL:
        env.update(REDIS_URL=s.REDIS_URL, REDIS_KEY_PREFIX=s.REDIS_KEY_PREFIX)
    env.update(extra)
    return env


class Worker:
    """A `maigie worker` subprocess; its output goes to a log file shown on failure."""

    def __init__(self, env: dict[str, str], log: Path, *args: str) -> None:
        self.log = log
        self.handle = log.open("a")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "maigie_core", "worker", *args],
            env=env,
            stdout=self.handle,
            stderr=subprocess.STDOUT,
        )

    def signal(self, sig: int) -> None:
        self.proc.send_signal(sig)

    def wait(self, timeout: float = 30) -> int:
        return self.proc.wait(timeout)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self.handle.close()

    def output(self) -> str:
        return self.log.read_text()
