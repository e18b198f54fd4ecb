"""Requests the server refuses before the app sees them, against the real ``maigie serve``.

hypercorn answered these with an empty body and none of the usual headers (431 for a
long URL or headers, 400 for a malformed head, 501 for an unknown Transfer-Encoding),
and left a connection whose WebSocket handshake it refused open for good:
``maigie_core/protocol_errors.py``. Each now gets the error envelope, an
``X-Request-ID`` equal to its ``request_id``, the security headers, a line in the
access log, and the connection closes.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from served_support import Served

LIMIT = 16 * 1024  # hypercorn's h11_max_incomplete_size
SECURITY = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "strict-origin-when-cross-origin",
}
UPGRADE = (
    b"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
    b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
)


class Answer:
    """One raw HTTP/1.1 exchange: status, headers (lower-case names), body, closed."""

    def __init__(self, raw: bytes, closed: bool) -> None:
        head, _, self.body = raw.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        self.status = int(lines[0].split()[1])
        self.headers = {
            name.strip().lower(): value.strip()
            for name, _, value in (line.partition(":") for line in lines[1:])
        }
        self.closed = closed

    def envelope(self) -> dict[str, Any]:
        assert self.headers["content-type"] == "application/json", self.headers
        body: dict[str, Any] = json.loads(self.body)
        assert set(body) == {"status_code", "code", "message", "detail", "request_id"}
        assert body["status_code"] == self.status
        assert body["request_id"] == self.headers["x-request-id"]
        assert SECURITY.items() <= self.headers.items(), self.headers
        return body


async def exchange(server: Served, *pieces: bytes, within: float = 10) -> Answer:
    """Send ``pieces`` (each its own write) and read until the server closes."""
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    try:
        for piece in pieces:
            writer.write(piece)
            await writer.drain()
        raw = b""
        closed = False
        try:
            async with asyncio.timeout(within):
                while chunk := await reader.read(65536):
                    raw += chunk
                closed = True
        except TimeoutError:
            pass
        return Answer(raw, closed)
    finally:
        writer.close()


def get(target: str = "/health", headers: bytes = b"") -> bytes:
    return f"GET {target} HTTP/1.1\r\nHost: x\r\n".encode() + headers + b"\r\n"


def head_of(size: int) -> bytes:
    """A GET /health head of exactly ``size`` bytes, padded by one header."""
    bare = len(get(headers=b"X-Pad: \r\n"))
    return get(headers=b"X-Pad: " + b"p" * (size - bare) + b"\r\n")


def logged(tmp_path: Path, status: int) -> bool:
    """The access log has the refusal (its request id is a field of the JSON lines)."""
    return (
        f"maigie.access: - - {status} refused before routing"
        in (tmp_path / "serve.log").read_text()
    )


async def test_a_long_url_or_headers_get_the_431_envelope(served: Served, tmp_path: Path) -> None:
    long_url = get("/api/v1/goals?q=" + "a" * 20_000)
    long_header = get(headers=b"X-Big: " + b"b" * 20_000 + b"\r\n")
    unfinished = long_header[: LIMIT + 100]  # still no end of headers past the limit
    for request in (long_url, long_header, unfinished):
        answer = await exchange(served, request)
        assert answer.status == 431, request[:40]
        body = answer.envelope()
        assert body["code"] == "HEADERS_TOO_LARGE"
        assert str(LIMIT) in body["message"]
        assert answer.closed and answer.headers["connection"] == "close"
    assert logged(tmp_path, 431)
    await served.healthy()


async def test_the_limit_is_the_same_however_the_head_arrives(served: Served) -> None:
    """h11 alone checked only a head still incomplete: one over the limit that arrived
    in a single read reached the app."""
    fits, over = head_of(LIMIT), head_of(LIMIT + 1)
    for pieces in ((fits,), (fits[:1000], fits[1000:])):
        answer = await exchange(served, *pieces, b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        assert answer.status == 200, answer.body[:200]
    for pieces in ((over,), (over[:1000], over[1000:]), (over[:-2], over[-2:])):
        answer = await exchange(served, *pieces)
        assert answer.status == 431
        assert answer.envelope()["code"] == "HEADERS_TOO_LARGE"


MALFORMED = [
    (b"GET /health HTTP/1.1\r\n\r\n", 400, "BAD_REQUEST"),  # no Host
    (b"NOT AN HTTP REQUEST\r\n\r\n", 400, "BAD_REQUEST"),
    (b"GET /health HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n", 400, "BAD_REQUEST"),
    (b"POST /health HTTP/1.1\r\nHost: x\r\nContent-Length: ten\r\n\r\n", 400, "BAD_REQUEST"),
    (
        b"POST /health HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n",
        501,
        "NOT_IMPLEMENTED",
    ),
]


async def test_a_malformed_head_gets_the_envelope(served: Served, tmp_path: Path) -> None:
    for request, status, code in MALFORMED:
        answer = await exchange(served, request)
        assert answer.status == status, request
        body = answer.envelope()
        assert body["code"] == code and body["detail"] is None
        assert answer.closed
        assert logged(tmp_path, status)


async def test_an_invalid_websocket_handshake_gets_the_envelope_and_is_closed(
    served: Served,
) -> None:
    """No Sec-WebSocket-Key: hypercorn said 400 with no body, then held the connection
    open for as long as the client liked."""
    no_key = UPGRADE.replace(b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n", b"")
    answer = await exchange(served, get("/api/v1/realtime/ws", no_key))
    assert answer.status == 400
    assert answer.envelope()["message"] == "Invalid WebSocket handshake"
    assert answer.closed
    await served.healthy()


async def test_a_websocket_handshake_the_app_refuses_carries_the_usual_headers(
    served: Served,
) -> None:
    """Quart's own answer to a handshake on a path with no socket: the request id (the
    client's own when sane) and the security headers, as every response."""
    answer = await exchange(served, get("/api/v1/nowhere", UPGRADE + b"X-Request-ID: mine-1\r\n"))
    assert answer.status == 404
    assert answer.envelope()["request_id"] == "mine-1"
    answer = await exchange(served, get("/health", UPGRADE))
    assert answer.status == 400
    assert answer.envelope()["message"] == "No WebSocket is served at this URL"


METRICS_TOKEN = "refusals-scraper-token"


@pytest.mark.parametrize("served", [{"METRICS_TOKEN": METRICS_TOKEN}], indirect=True)
async def test_refusals_are_counted_in_the_request_metrics(served: Served) -> None:
    for request, _status, _code in MALFORMED[:3]:
        assert (await exchange(served, request)).status == 400
    assert (await exchange(served, get(headers=b"X-Big: " + b"b" * LIMIT + b"\r\n"))).status == 431
    async with httpx.AsyncClient(base_url=served.base) as client:
        scraped = await client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    assert scraped.status_code == 200
    counted = 'maigie_http_requests_total{method="OTHER",route="<unmatched>",status="4xx"} 4.0'
    assert counted in scraped.text
