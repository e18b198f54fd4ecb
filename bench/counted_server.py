"""``maigie`` (same arguments) under cProfile, switched by signals: for bench/call_count.py.

SIGUSR1 starts recording the main thread (the event loop: every request runs there),
SIGUSR2 stops and writes the stats to $MAIGIE_CALLS_OUT.
"""

from __future__ import annotations

import cProfile
import os
import signal
from typing import Any

from maigie_core.cli import main

profiler = cProfile.Profile()


def _start(*_: Any) -> None:
    profiler.enable()


def _stop(*_: Any) -> None:
    profiler.disable()
    profiler.dump_stats(os.environ["MAIGIE_CALLS_OUT"])


signal.signal(signal.SIGUSR1, _start)
signal.signal(signal.SIGUSR2, _stop)

if __name__ == "__main__":
    main()
