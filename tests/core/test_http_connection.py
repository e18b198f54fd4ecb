"""The core's HTTP connection (middleware.MaigieASGIHTTPConnection) on a real hypercorn.

A request whose body is at hand is handled without Quart's two tasks; a body still
arriving, a streamed response and the timeouts keep Quart's behaviour. Raw sockets,
so the test decides when each byte arrives and when the client leaves.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from hypercorn.asyncio import serve
from hypercorn.config import Config
from quart import Blueprint, Quart, Response, request
from wait_support import eventually, free_port, wait_for_port

from maigie_core import hookimpl

streams: dict[str, str] = {}  # stream name -> "running" | "closed"


def _is(name: str, state: str) -> Callable[[], Any]:
    async def check() -> bool:
        return streams.get(name) == state

    return check


def _plugin() -> object:
    bp = Blueprint("conn", __name__, url_prefix="/api/v1/conn")

    @bp.post("/echo")
    async def echo() -> dict[str, Any]:
        return {"got": await request.get_json()}

    @bp.delete("/nothing")
    async def nothing() -> tuple[str, int]:
        return "", 204  # what the plugins' deletes return

    @bp.get("/stream/<name>")
    async def stream(name: str) -> Response:
        async def chunks() -> AsyncIterator[bytes]:
            streams[name] = "running"
            try:
                while True:
                    yield b"tick\n"
                    await asyncio.sleep(0.02)
            finally:
                streams[name] = "closed"

        response = Response(chunks(), mimetype="text/plain")
        response.timeout = float(request.args.get("timeout", 60))
        return response

    class Plugin:
        @hookimpl
        def register_blueprints(self, app: Quart) -> list[Blueprint]:
            return [bp]

    return Plugin()


@pytest.fixture
async def port(make_app: Callable[..., Quart]) -> AsyncIterator[int]:
    app = make_app(plugins={"conn": _plugin()})
    app.config["BODY_TIMEOUT"] = 0.5
    bound = free_port()
    config = Config()
    config.bind = [f"127.0.0.1:{bound}"]
    config.accesslog = None
    stop = asyncio.Event()
    task = asyncio.create_task(serve(app, config, shutdown_trigger=stop.wait))  # type: ignore[arg-type]
    await wait_for_port(bound)
    yield bound
    stop.set()
    await asyncio.wait_for(task, 15)


def _post(body: bytes, length: int | None = None) -> bytes:
    head = (
        "POST /api/v1/conn/echo HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body) if length is None else length}\r\n\r\n"
    )
    return head.encode() + body


async def _response(reader: asyncio.StreamReader) -> tuple[int, dict[str, Any]]:
    status = int((await reader.readline()).split()[1])
    length = 0
    while (line := await reader.readline()) != b"\r\n":
        name, _, value = line.decode().partition(":")
        if name.lower() == "content-length":
            length = int(value)
    return status, json.loads(await reader.readexactly(length))


async def test_bodies_read_with_their_headers_share_one_connection(port: int) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    for n in range(3):
        writer.write(_post(json.dumps({"n": n}).encode()))
        assert await asyncio.wait_for(_response(reader), 10) == (200, {"got": {"n": n}})
    writer.close()


async def test_a_body_arriving_in_parts_is_read_whole(port: int) -> None:
    body = json.dumps({"text": "x" * 5000}).encode()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(_post(body[:100], length=len(body)))
    await writer.drain()
    await asyncio.sleep(0.2)  # the handler starts before the rest arrives
    writer.write(body[100:])
    status, got = await asyncio.wait_for(_response(reader), 10)
    assert status == 200 and got["got"]["text"] == "x" * 5000
    writer.close()


async def test_a_body_that_stops_arriving_is_408_after_body_timeout(port: int) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(_post(b'{"a":', length=100))
    status, got = await asyncio.wait_for(_response(reader), 10)
    assert (status, got["code"]) == (408, "REQUEST_TIMEOUT")
    writer.close()


async def test_a_client_leaving_mid_body_leaves_the_server_serving(port: int) -> None:
    _, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(_post(b'{"a":', length=100))
    await writer.drain()
    writer.close()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(_post(b'{"a": 1}'))
    assert await asyncio.wait_for(_response(reader), 10) == (200, {"got": {"a": 1}})
    writer.close()


async def test_a_streamed_response_stops_when_the_client_leaves(port: int) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"GET /api/v1/conn/stream/leave HTTP/1.1\r\nHost: t\r\n\r\n")
    assert b"200" in await asyncio.wait_for(reader.readline(), 10)
    await eventually(_is("leave", "running"), 10)
    writer.close()
    await eventually(_is("leave", "closed"), 10)


async def test_a_streamed_response_is_cut_at_its_timeout(port: int) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"GET /api/v1/conn/stream/cut?timeout=0.3 HTTP/1.1\r\nHost: t\r\n\r\n")
    assert b"200" in await asyncio.wait_for(reader.readline(), 10)
    await eventually(_is("cut", "closed"), 10)
    writer.close()


async def test_a_204_goes_out_without_content_type_or_length(port: int) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"DELETE /api/v1/conn/nothing HTTP/1.1\r\nHost: t\r\n\r\n")
    head = (await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)).decode().lower()
    writer.close()
    status, *lines = head.strip().split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines)
    assert status.startswith("http/1.1 204")
    assert "content-type" not in headers  # it said text/html
    assert "content-length" not in headers  # RFC 9110 8.6: not in a 204
    assert headers["x-content-type-options"] == "nosniff"
