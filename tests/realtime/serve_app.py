"""A Maigie server process for the cross-process tests: ``python serve_app.py PORT``.

Settings come from the environment (DATABASE_URL, REDIS_URL, SECRET_KEY…); the app
has the test plugin of ``rt_plugin.py``. Stops (closing sockets with 1001) on SIGTERM.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys

from hypercorn.asyncio import serve
from hypercorn.config import Config
from rt_plugin import RealtimeTestPlugin

from maigie_core import create_app, load_settings
from maigie_core.db.migrations import apply_migrations
from maigie_core.realtime import graceful_shutdown
from maigie_core.runtime import runtime


async def main(port: int) -> None:
    logging.basicConfig(level=os.environ.get("RT_LOG", "WARNING"), format=f"{port} %(message)s")
    app = create_app(load_settings(), plugins={"rttest": RealtimeTestPlugin()}, entry_points=False)
    rt = runtime(app)
    apply_migrations(rt.db, rt.migrations)
    config = Config()
    config.bind = [f"127.0.0.1:{port}"]
    config.accesslog = None
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await serve(app, config, shutdown_trigger=graceful_shutdown(app, stop.wait))  # type: ignore[arg-type]


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
