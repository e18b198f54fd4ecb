"""Run a server command line under cProfile, switched by signals: for bench/request_cost.py.

    python bench/profiled_server.py python -m maigie_core serve --port 8000
    python bench/profiled_server.py python bench/bare_app.py 8000

SIGUSR1 starts recording the main thread (the event loop: every request runs there),
SIGUSR2 stops and writes the stats to $MAIGIE_PROFILE_OUT.
"""

from __future__ import annotations

import cProfile
import os
import runpy
import signal
import sys
from typing import Any

profiler = cProfile.Profile()


def _start(*_: Any) -> None:
    profiler.enable()


def _stop(*_: Any) -> None:
    profiler.disable()
    profiler.dump_stats(os.environ["MAIGIE_PROFILE_OUT"])


if __name__ == "__main__":
    signal.signal(signal.SIGUSR1, _start)
    signal.signal(signal.SIGUSR2, _stop)
    command = sys.argv[2:]  # sys.argv[1] is the interpreter of the command line
    if command[0] == "-m":
        sys.argv = [command[1], *command[2:]]
        runpy.run_module(command[1], run_name="__main__", alter_sys=True)
    else:
        sys.argv = command
        sys.path.insert(0, os.path.dirname(os.path.abspath(command[0])))
        runpy.run_path(command[0], run_name="__main__")
