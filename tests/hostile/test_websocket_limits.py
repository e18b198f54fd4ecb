"""Messages over ``REALTIME_MAX_MESSAGE_BYTES`` against the real server (``served``).

Each closes 1009 promptly (the server reads no more than the limit of it) however it
comes: one frame, many fragments, compressed, over HTTP/2, to several workers, from a
client that never answers the close. The server's memory stays flat and it still serves
others. (hypercorn alone buffered 16 MiB of a message and never finished its own 1009:
``maigie_core/realtime/hypercorn_ws.py``.)
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from served_support import MAX_BYTES, Served, still_serves, until_closed
from websockets.exceptions import ConnectionClosed

REASON = f"Messages are limited to {MAX_BYTES} bytes"
COMPRESSED = {"REALTIME_COMPRESSION": "true"}


def ping_of(size: int) -> str:
    """A heartbeat ping of exactly ``size`` bytes of UTF-8, mostly two-byte characters."""
    empty = json.dumps({"type": "heartbeat", "status": "ping", "pad": ""}, ensure_ascii=False)
    pad = size - len(empty)
    text = json.dumps(
        {"type": "heartbeat", "status": "ping", "pad": "é" * (pad // 2) + "x" * (pad % 2)},
        ensure_ascii=False,
    )
    assert len(text.encode()) == size
    return text


class PeakMemory:
    """The server's peak resident memory growth from here (Linux ``clear_refs`` 5 resets
    the process's high-water mark, ``VmHWM``)."""

    def __init__(self, server: Served) -> None:
        self.status = Path(f"/proc/{server.pid}/status")
        Path(f"/proc/{server.pid}/clear_refs").write_text("5")
        self.start = self._kib("VmRSS")

    def _kib(self, field: str) -> int:
        return int(self.status.read_text().split(f"{field}:")[1].split()[0])

    def growth_mib(self) -> float:
        return (self._kib("VmHWM") - self.start) / 1024


async def test_messages_up_to_the_limit_pass(served: Served) -> None:
    ws = await served.socket(await served.token("fits@example.com"))
    for message in (ping_of(MAX_BYTES), [ping_of(MAX_BYTES)[:100], ping_of(MAX_BYTES)[100:]]):
        await ws.send(message)  # whole, then in two fragments
        assert json.loads(await asyncio.wait_for(ws.recv(), 5))["status"] == "pong"
    await ws.close()


@pytest.mark.parametrize("size", [MAX_BYTES + 1, 1 << 20, 20 << 20])  # 20 MiB: above hypercorn's
async def test_an_oversized_message_closes_1009_at_once(served: Served, size: int) -> None:
    token = await served.token("big@example.com")
    ws = await served.socket(token)
    started = time.monotonic()
    with contextlib.suppress(ConnectionClosed):
        await ws.send(ping_of(size))
    assert await until_closed(ws) == (1009, [])
    assert ws.close_reason == REASON
    assert time.monotonic() - started < 5
    await still_serves(served, token)


async def test_an_oversized_fragmented_message_closes_1009_before_its_end(served: Served) -> None:
    token = await served.token("frag@example.com")
    ws = await served.socket(token)
    sent = 0

    async def fragments() -> AsyncIterator[str]:
        nonlocal sent
        for _ in range(10_000):  # 10 MB in 1 KB pieces, unless the server stops it
            sent += 1
            yield "x" * 1000
            await asyncio.sleep(0)

    with contextlib.suppress(ConnectionClosed):
        await ws.send(fragments())
    assert await until_closed(ws) == (1009, [])
    assert sent < 10_000
    await still_serves(served, token)


async def test_sockets_holding_unfinished_oversized_messages_are_closed_and_cost_nothing(
    served: Served,
) -> None:
    token = await served.token("hold@example.com")
    sockets = [await served.socket(token) for _ in range(20)]
    peak = PeakMemory(served)
    release = asyncio.Event()

    async def two_mib_then_wait() -> AsyncIterator[str]:
        for _ in range(128):
            yield "x" * 16_384
        await release.wait()  # the message's last fragment never comes
        yield "x"

    sending = [asyncio.create_task(ws.send(two_mib_then_wait())) for ws in sockets]
    closes = await asyncio.gather(*(until_closed(ws) for ws in sockets))
    assert closes == [(1009, [])] * 20
    assert peak.growth_mib() < 16  # hypercorn alone: 20 x 2 MiB held
    release.set()
    await asyncio.gather(*sending, return_exceptions=True)
    await still_serves(served, token)


@pytest.mark.parametrize("served", [COMPRESSED], indirect=True)
async def test_a_compressed_bomb_closes_1009_without_being_inflated(served: Served) -> None:
    token = await served.token("bomb@example.com")
    ws = await served.socket(token, compression="deflate")
    assert ws.response is not None
    assert "permessage-deflate" in ws.response.headers["Sec-WebSocket-Extensions"]
    await ws.send(ping_of(MAX_BYTES))  # compressed, up to the limit: passes
    assert json.loads(await asyncio.wait_for(ws.recv(), 5))["status"] == "pong"
    peak = PeakMemory(served)
    with contextlib.suppress(ConnectionClosed):
        await ws.send("x" * (48 << 20))  # ≈ 50 KB on the wire, 48 MiB inflated
    assert await until_closed(ws) == (1009, [])
    assert ws.close_reason == REASON
    assert peak.growth_mib() < 8
    await still_serves(served, token)


async def test_a_client_ignoring_the_1009_is_disconnected(served: Served) -> None:
    token = await served.token("deaf@example.com")
    reader, writer = await asyncio.open_connection("127.0.0.1", served.port)
    key = base64.b64encode(os.urandom(16)).decode()
    writer.write(
        f"GET /api/v1/realtime/ws?token={token} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
        "Sec-WebSocket-Version: 13\r\n\r\n".encode()
    )
    assert (await reader.readuntil(b"\r\n\r\n")).startswith(b"HTTP/1.1 101")
    received = bytearray()

    async def read_all() -> None:
        with contextlib.suppress(ConnectionError):
            while chunk := await reader.read(65536):
                received.extend(chunk)

    reading = asyncio.create_task(read_all())
    # One text frame announcing 1 GiB (mask key 0), then its payload, never a Close.
    writer.write(bytes([0x81, 0x80 | 127]) + (1 << 30).to_bytes(8, "big") + bytes(4))
    peak = PeakMemory(served)
    started = time.monotonic()
    with contextlib.suppress(ConnectionError):
        while time.monotonic() - started < 30:
            writer.write(b"x" * 65536)
            await writer.drain()
            await asyncio.sleep(0.01)  # ≈ 6 MB/s: the server keeps reading and dropping
    assert time.monotonic() - started < 12  # CLOSE_WAIT (5 s) after the 1009
    await asyncio.wait_for(reading, 5)
    assert b"\x88" + bytes([2 + len(REASON)]) + (1009).to_bytes(2, "big") in received
    assert peak.growth_mib() < 8
    writer.close()
    await still_serves(served, token)


async def test_invalid_utf8_gets_a_close_frame_1007(served: Served) -> None:
    token = await served.token("utf8@example.com")
    ws = await served.socket(token)
    await ws.send(b'{"type":"heartbeat","status":"\xff"}', text=True)
    assert await until_closed(ws) == (1007, [])  # hypercorn alone: no close frame, 1006
    await still_serves(served, token)


@pytest.mark.parametrize("served", [{"workers": 2}], indirect=True)
async def test_workers_close_an_oversized_message_1009_at_once(served: Served) -> None:
    token = await served.token("workers@example.com")
    for _ in range(4):  # the sockets land on either worker
        ws = await served.socket(token)
        started = time.monotonic()
        with contextlib.suppress(ConnectionClosed):
            await ws.send(ping_of(20 << 20))
        assert await until_closed(ws) == (1009, [])
        assert time.monotonic() - started < 5
    await still_serves(served, token)


def _over_http2(port: int, token: str, message: str) -> tuple[int, str]:
    """A WebSocket over HTTP/2 (RFC 8441, cleartext prior knowledge) sends ``message``:
    the server's (close code, reason). Blocking: run in a thread."""
    import socket

    import h2.config
    import h2.connection
    import h2.events
    from wsproto.connection import Connection, ConnectionType
    from wsproto.events import CloseConnection, TextMessage

    h2c = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
    ws = Connection(ConnectionType.CLIENT)
    payload = bytearray(ws.send(TextMessage(data=message)))
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        h2c.initiate_connection()
        stream = h2c.get_next_available_stream_id()
        headers = {":method": "CONNECT", ":protocol": "websocket", ":scheme": "http"}
        headers |= {":path": f"/api/v1/realtime/ws?token={token}", ":authority": "127.0.0.1"}
        h2c.send_headers(stream, [*headers.items(), ("sec-websocket-version", "13")])
        opened = False
        while True:
            sock.sendall(h2c.data_to_send())
            data = sock.recv(65536)
            assert data, "the server hung up without a close frame"
            for event in h2c.receive_data(data):
                if isinstance(event, h2.events.DataReceived):
                    h2c.acknowledge_received_data(event.flow_controlled_length, stream)
                    ws.receive_data(event.data)
                    for frame in ws.events():
                        opened = opened or isinstance(frame, TextMessage)  # "connection"
                        if isinstance(frame, CloseConnection):
                            return frame.code, frame.reason or ""
            while opened and payload:  # as much as HTTP/2 flow control lets through
                size = min(h2c.local_flow_control_window(stream), h2c.max_outbound_frame_size)
                if size <= 0:
                    break
                h2c.send_data(stream, bytes(payload[:size]))
                del payload[:size]


async def test_websockets_over_http2_close_1009_at_once(served: Served) -> None:
    token = await served.token("h2@example.com")
    started = time.monotonic()
    closed = await asyncio.to_thread(_over_http2, served.port, token, ping_of(1 << 20))
    assert closed == (1009, REASON)
    assert time.monotonic() - started < 5
    await still_serves(served, token)
