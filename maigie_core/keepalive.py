"""hypercorn's keep-alive timeout as one loop timer instead of two tasks per request.

hypercorn (0.18) arms a connection's keep-alive timeout when a response ends and
disarms it when the next request starts. Each arming creates a task
(``AsyncioSingleTask``) that runs ``asyncio.wait_for(terminated.wait(),
keep_alive_timeout)``, itself a second task; each disarming takes a lock, cancels the
task and waits a loop pass for it to finish. :class:`KeepAliveTimer` keeps the same
behaviour with one ``loop.call_later`` handle: when it fires, the connection is closed
as hypercorn closes it, and when the worker shuts down (``context.terminated``) the
connections idle at that moment are closed at once, as hypercorn's tasks did.

:func:`install` rebinds ``hypercorn.asyncio.run.TCPServer`` (the class its
``worker_serve`` builds per connection) to :class:`TCPServer`, whose only change is the
timer; like :mod:`maigie_core.realtime.hypercorn_ws` it is written against hypercorn
0.18 (``COMPATIBLE`` there), which ``maigie serve`` checks before it starts.
"""

from __future__ import annotations

import asyncio
import weakref
from typing import Any

from hypercorn.asyncio import run as hypercorn_run
from hypercorn.asyncio.tcp_server import TCPServer as HypercornTCPServer
from hypercorn.asyncio.worker_context import AsyncioSingleTask, WorkerContext


class _Armed:
    """The armed timers of one worker; when it terminates, their connections close."""

    def __init__(self, context: WorkerContext, loop: asyncio.AbstractEventLoop) -> None:
        self.timers: set[KeepAliveTimer] = set()
        self.watcher = loop.create_task(self._close_on_termination(context))

    async def _close_on_termination(self, context: WorkerContext) -> None:
        await context.terminated.wait()
        for timer in list(self.timers):
            timer.expire()


_armed: weakref.WeakKeyDictionary[WorkerContext, _Armed] = weakref.WeakKeyDictionary()


class KeepAliveTimer(AsyncioSingleTask):
    """One connection's keep-alive timeout, in place of hypercorn's ``SingleTask``."""

    def __init__(self, server: TCPServer) -> None:
        super().__init__()
        self.server = server
        self.timer: asyncio.TimerHandle | None = None
        armed = _armed.get(server.context)
        if armed is None:
            armed = _armed[server.context] = _Armed(server.context, server.loop)
        self.armed = armed

    async def restart(self, task_group: Any, action: Any) -> None:
        """Arm the timer (``action`` is hypercorn's ``_idle_timeout``: what it replaces)."""
        self._disarm()
        server = self.server
        if server.context.terminated.is_set():
            self.expire()
            return
        self.timer = server.loop.call_later(server.config.keep_alive_timeout, self.expire)
        self.armed.timers.add(self)

    async def stop(self) -> None:
        self._disarm()

    def _disarm(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
            self.armed.timers.discard(self)

    def expire(self) -> None:
        """Close the idle connection, in its own task group as hypercorn does."""
        self._disarm()
        self.server.close_idle()


class TCPServer(HypercornTCPServer):
    """hypercorn's connection with its keep-alive timeout on :class:`KeepAliveTimer`."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.idle_task = KeepAliveTimer(self)

    def close_idle(self) -> None:
        self._task_group.spawn(self._initiate_server_close)


def install() -> None:
    """Make hypercorn's ``worker_serve`` build :class:`TCPServer` connections."""
    if vars(hypercorn_run).get("TCPServer") not in (HypercornTCPServer, TCPServer):
        raise RuntimeError("hypercorn.asyncio.run.TCPServer is not hypercorn's")
    setattr(hypercorn_run, "TCPServer", TCPServer)  # noqa: B010 - a rebinding, see above
