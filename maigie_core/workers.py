"""``maigie serve --workers N``: N hypercorn worker processes sharing one listening socket.

hypercorn's own multi-worker runner (``hypercorn.run.run``) stops badly for WebSockets:
on SIGTERM it sets a shared event, waits for the *first* worker to exit (an idle one
exits at once) and then SIGTERMs the others, which die on the spot (their sockets see
1006, no close frame); and the workers' shutdown trigger is hypercorn's, so the app
never closes its sockets before the graceful timeout. Here the parent forwards SIGTERM
(or SIGINT) to every worker, and each worker shuts down exactly like a single
``maigie serve``: WebSockets closed with 1001, then in-flight requests finished. The
parent waits for all of them (up to ``graceful_timeout`` + 5 s, then kills). A worker
that exits on its own stops the others: the process manager restarts the service.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import signal
import time
from multiprocessing.connection import wait
from typing import Any

log = logging.getLogger("maigie.serve")


def _worker(config: Any, sockets: Any) -> None:
    """One worker process: build the app from the environment and serve ``sockets``."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # until the loop handles it
    from maigie_core.app import create_app
    from maigie_core.cli import run_loop, serve_one
    from maigie_core.logs import configure_logging
    from maigie_core.settings import load_settings

    settings = load_settings()
    configure_logging(settings)
    run_loop(serve_one(create_app(settings), config, sockets), settings)


def serve_workers(config: Any, count: int) -> int:
    """Run ``count`` workers until SIGTERM/SIGINT; returns the exit code."""
    ctx = multiprocessing.get_context("spawn")
    sockets = config.create_sockets()
    processes: list[Any] = []
    stopping = False
    exitcode = 0

    def stop(*_: Any) -> None:
        nonlocal stopping
        stopping = True
        for process in processes:
            if process.exitcode is None and process.pid is not None:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(process.pid, signal.SIGTERM)

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # children start with SIGINT ignored
    for index in range(count):
        process = ctx.Process(
            target=_worker, args=(config, sockets), name=f"maigie-worker-{index + 1}"
        )
        process.start()
        processes.append(process)
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, stop)
    deadline: float | None = None
    while True:
        alive = [p for p in processes if p.exitcode is None]
        if not alive:
            break
        wait([p.sentinel for p in alive], timeout=1.0)
        if not stopping:
            gone = [p for p in processes if p.exitcode is not None]
            if gone:
                exitcode = gone[0].exitcode or 1
                log.error("%s exited (code %s): stopping", gone[0].name, gone[0].exitcode)
                stop()
        if stopping and deadline is None:
            deadline = time.monotonic() + config.graceful_timeout + 5
        if deadline is not None and time.monotonic() > deadline:
            for process in processes:
                if process.exitcode is None:
                    process.kill()
            deadline = float("inf")
    for process in processes:
        process.join()
    for sock in [*sockets.secure_sockets, *sockets.insecure_sockets]:
        sock.close()
    return exitcode
