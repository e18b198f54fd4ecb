"""Waiting for something another process, thread or task does, and the local ports
servers under test listen on (a module of its own: helpers named ``conftest`` collide
across folders)."""

from __future__ import annotations

import asyncio
import inspect
import socket
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")


async def eventually(
    check: Callable[[], Awaitable[T] | T],
    within: float = 20,
    what: str | Callable[[], str] = "condition",
    *,
    ignoring: type[Exception] | tuple[type[Exception], ...] = (),
) -> T:
    """Poll ``check`` (plain or async) until it returns something truthy, and return that.

    Fails after ``within`` seconds, naming ``what`` (a callable is called then: to show
    a server's log as it is at the failure). An exception of the ``ignoring`` types
    counts as "not yet" (a server still coming up). To know how long it took, wrap the
    call in ``fault_support.timed``.
    """
    deadline = time.monotonic() + within
    while True:
        try:
            value = check()
            if inspect.isawaitable(value):
                value = await value
        except ignoring:
            value = None
        if value:
            return value
        if time.monotonic() > deadline:
            named = what() if callable(what) else what
            raise AssertionError(f"timed out after {within}s waiting for {named}")
        await asyncio.sleep(0.1)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def wait_for_port(port: int, within: float = 15, log: Path | None = None) -> None:
    """Until something accepts connections on 127.0.0.1:``port`` (a failure shows ``log``,
    the output of the process that should listen there)."""

    async def accepts() -> bool:
        _reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.close()
        return True

    def what() -> str:
        return f"a listener on port {port}" + (f"; its log:\n{log.read_text()}" if log else "")

    await eventually(accepts, within, what, ignoring=OSError)
