"""WebSocket floods and junk against the real server (``maigie serve``, ``served``).

After every abuse the server still answers others: a fresh socket gets its pong,
/health is 200. Oversized messages: ``test_websocket_limits.py``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json

from served_support import MAX_BYTES, Served, still_serves, until_closed
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed


async def test_a_flood_gets_an_error_then_4429_and_others_are_served(served: Served) -> None:
    flooder, bystander = (
        await served.token("flood@example.com"),
        await served.token("by@example.com"),
    )
    calm = await served.socket(bystander)
    ws = await served.socket(flooder)
    with contextlib.suppress(ConnectionClosed):
        for _ in range(2000):  # far beyond the rate, as fast as the client can write
            await ws.send(json.dumps({"type": "heartbeat", "status": "ping"}))
    code, seen = await until_closed(ws)
    assert code == 4429, (code, seen[-3:])
    assert any(m.get("code") == "RATE_LIMITED" for m in seen if m["type"] == "error")
    # The bystander's socket, opened before the flood, is still alive and answered.
    await calm.send(json.dumps({"type": "heartbeat", "status": "ping"}))
    pong = json.loads(await asyncio.wait_for(calm.recv(), 5))
    assert pong == {"type": "heartbeat", "status": "pong"}
    await calm.close()
    await still_serves(served, bystander)


async def test_junk_before_authentication_is_refused_and_the_server_lives(served: Served) -> None:
    token = await served.token("pre@example.com")
    for first in (
        "x" * (MAX_BYTES * 4),
        "\x00" * 100,
        json.dumps({"type": "auth", "token": "a.b.c"}),
    ):
        ws = await connect(served.ws, open_timeout=5, close_timeout=2)
        with contextlib.suppress(ConnectionClosed):
            for _ in range(200):
                await ws.send(first)
        code, _ = await until_closed(ws)
        assert code in (4401, 1009), code
    await still_serves(served, token)
