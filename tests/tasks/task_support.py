"""Helpers of the task tests (a module of its own: ``conftest`` names collide across folders)."""

from __future__ import annotations

import subprocess
import sys


def run_cli(
    env: dict[str, str], *args: str, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "maigie_core", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
