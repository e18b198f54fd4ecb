"""The ceiling: a bare Quart app with one JSON route, served like Maigie is.

Run by bench/http_bench.py in the same run as Maigie so their ratio is meaningful.
"""

from __future__ import annotations

import asyncio
import signal
import sys

from hypercorn.asyncio import serve
from hypercorn.config import Config
from quart import Quart

app = Quart("bare", static_folder=None)


@app.get("/")
async def root() -> dict[str, str]:
    return {"name": "bare", "version": "0", "api": "/api/v1", "docs": "/docs"}


async def main(port: int) -> None:
    config = Config()
    config.bind = [f"127.0.0.1:{port}"]
    config.accesslog = None
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await serve(app, config, shutdown_trigger=stop.wait)  # type: ignore[arg-type]


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
