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
import sys
import time
from multiprocessing.connection import wait
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from maigie_core.settings import Settings

log = logging.getLogger("maigie.serve")


def _worker(settings: Settings, config: Any, sockets: Any) -> None:
    """One worker process: start like a single ``maigie serve`` and serve ``sockets``.

    ``settings`` are the parent's (its command-line options included). The database may
    have gone since the parent's check: the worker waits for it too, and a failure to
    start is one line and exit 1, never a traceback (the parent then stops the others).
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # until the loop handles it
    import click

    from maigie_core.cli import run_loop, serve_one, start_app
    from maigie_core.logs import configure_logging

    configure_logging(settings)
    try:
        run_loop(serve_one(start_app(settings), config, sockets), settings)
    except click.ClickException as exc:
        exc.show()  # "Error: ...", as `maigie serve` prints it
        sys.exit(exc.exit_code)


def serve_workers(config: Any, settings: Settings) -> int:
    """Run ``settings.WORKERS`` workers until SIGTERM/SIGINT; returns the exit code."""
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
    for index in range(settings.WORKERS):
        process = ctx.Process(
            target=_worker, args=(settings, config, sockets), name=f"maigie-worker-{index + 1}"
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
