"""Requests hypercorn refuses before the app sees them, answered in the error envelope.

hypercorn (0.18) answers an HTTP/1.1 request that h11 cannot take with an empty body
and none of the headers every other response carries (request id, security headers):
400 for a malformed request line or header, a missing ``Host``, a bad
``Content-Length`` or chunk; 431 when more than ``h11_max_incomplete_size`` (16 KiB)
of request line and headers is buffered and still incomplete; 501 for a
``Transfer-Encoding`` other than chunked. Its WebSocket stream does the same for an
invalid handshake (400), and left that connection open. :class:`H11Protocol` sends the
envelope of SPEC §4 instead, with a fresh ``X-Request-ID`` (the request's own one was
never parsed), the security headers and ``Connection: close``, logs the refusal on
``maigie.access`` with that id and counts it in ``maigie_http_requests_total`` (method
``OTHER``, route ``<unmatched>``: nothing of the request was read);
:mod:`maigie_core.realtime.hypercorn_ws` sends :func:`refusal` for the handshake and
closes the connection.

h11 checks the limit only while a head is incomplete: one that arrives whole in a
single read (hypercorn reads up to 64 KiB) passed however long it was.
:class:`BoundedHeadConnection` refuses a complete head over the same limit, so every
request line + headers over 16 KiB is 431, however the bytes were split.

:func:`install` rebinds ``hypercorn.protocol.H11Protocol`` (the name its
``ProtocolWrapper`` builds each HTTP/1.1 connection from), as ``hypercorn_ws`` does for
the WebSocket stream, when an app is built, so ``hypercorn maigie_core.asgi:app`` is
covered too; the subclasses override internals of hypercorn 0.18 (checked there) and of
h11's ``Connection`` (checked here).

HTTP/2 (h2c: ``maigie serve`` has no TLS) is left as it is: h2 ends the connection
(GOAWAY) on a malformed header block or one over its own 64 KiB, as HTTP/2 prescribes
(there is no response to carry an envelope); smaller heads reach the app. (hypercorn's
``h2_max_header_list_size`` is only advertised: h2 never applies it to its decoder.)
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable
from importlib.metadata import version
from types import SimpleNamespace
from typing import Any

import h11
from hypercorn import protocol as hypercorn_protocol
from hypercorn.protocol.h11 import H11Protocol as HypercornH11Protocol

from maigie_core.errors import describe_status

access_log = logging.getLogger("maigie.access")


class _Policy:
    """What every refusal carries: set by :func:`install` from the app's settings."""

    headers: list[tuple[bytes, bytes]] = []
    log_requests = True
    observe: Callable[[Any, int, float], None] | None = None  # the middleware's metrics


#: What the metrics know of a refused request: no method or URL rule was read.
_UNREAD = SimpleNamespace(method="", url_rule=None)


def refusal(status: int, message: str | None = None) -> tuple[list[tuple[bytes, bytes]], bytes]:
    """(headers, body) of the envelope for a request refused before the app; logged."""
    request_id = uuid.uuid4().hex
    code, default_message = describe_status(status)
    body = json.dumps(
        {
            "status_code": status,
            "code": code,
            "message": message or default_message,
            "detail": None,
            "request_id": request_id,
        },
        separators=(",", ":"),
    ).encode()
    if _Policy.log_requests and access_log.isEnabledFor(logging.INFO):
        access_log.info(
            "- - %s refused before routing",
            status,
            extra={"request_id": request_id, "status": status},
        )
    if _Policy.observe is not None:
        _Policy.observe(_UNREAD, status, 0.0)  # refused at once: no time in the app
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", b"%d" % len(body)),
        (b"x-request-id", request_id.encode()),
        *_Policy.headers,
    ]
    return headers, body


class BoundedHeadConnection(h11.Connection):
    """h11's connection, refusing a *complete* request head over the incomplete limit."""

    def next_event(self) -> Any:
        limit = self._max_incomplete_event_size
        received = self._receive_buffer._data  # its bytes (``len`` of the buffer is Python)
        buffered = len(received)
        event = h11.Connection.next_event(self)
        if (
            buffered > limit  # rare: the head is measured only then
            and event.__class__ is h11.Request
            and buffered - len(received) > limit  # the head's bytes were taken from it
        ):
            raise h11.RemoteProtocolError("request head too long", error_status_hint=431)
        return event


class H11Protocol(HypercornH11Protocol):
    """hypercorn's HTTP/1.1 protocol, refusing in the envelope (see the module)."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.connection = BoundedHeadConnection(
            h11.SERVER, max_incomplete_event_size=self.config.h11_max_incomplete_size
        )

    async def _send_error_response(self, status_code: int) -> None:
        headers, body = refusal(status_code, self._message(status_code))
        response_headers = [*headers, (b"connection", b"close")]
        response_headers += self.config.response_headers("h11")
        await self._send_h11_event(h11.Response(status_code=status_code, headers=response_headers))
        await self._send_h11_event(h11.Data(data=body))
        await self._send_h11_event(h11.EndOfMessage())

    def _message(self, status_code: int) -> str | None:
        if status_code == 400:
            return "Malformed HTTP request (request line or headers)"
        if status_code == 431:
            limit = self.config.h11_max_incomplete_size
            return f"The request line and headers are limited to {limit} bytes"
        if status_code == 501:
            return "Unsupported Transfer-Encoding (only chunked is)"
        return None


def install(
    security_headers: dict[str, str],
    log_requests: bool,
    observe: Callable[[Any, int, float], None] | None = None,
) -> None:
    """Make hypercorn build :class:`H11Protocol` connections, refusing with these headers
    (and counting refusals with ``observe``, the middleware's metrics observer).

    Process-wide, like the other hypercorn rebindings: the last app built sets them.
    """
    from maigie_core.realtime.hypercorn_ws import IncompatibleServerError  # (it imports us)

    probe = h11.Connection(h11.SERVER)
    buffer = getattr(probe, "_receive_buffer", None)
    if not isinstance(getattr(buffer, "_data", None), bytearray) or not hasattr(
        probe, "_max_incomplete_event_size"
    ):
        raise IncompatibleServerError(
            f"h11 {version('h11')}: maigie_core/protocol_errors.py reads internals it lacks"
        )
    if vars(hypercorn_protocol).get("H11Protocol") not in (HypercornH11Protocol, H11Protocol):
        raise IncompatibleServerError("hypercorn.protocol.H11Protocol is not hypercorn's")
    _Policy.headers = [(k.lower().encode(), v.encode()) for k, v in security_headers.items()]
    _Policy.log_requests = log_requests
    _Policy.observe = observe
    setattr(hypercorn_protocol, "H11Protocol", H11Protocol)  # noqa: B010 - a rebinding
