"""What maigie changes in hypercorn's WebSocket handling: message limit, compression,
and the handshakes hypercorn refuses itself.

hypercorn (0.18) buffers a client message up to ``websocket_max_message_size`` (16 MiB
by default) before the app sees it: 10,000 sockets could hold 16 MiB each. Its limit,
once hit, never finished closing either: it sent close 1009 and left its event loop,
dropping the client's Close when it came in the same read (the client hung until its
own timeout), and its buffer, never cleared, kept growing with what the client still
sent. :class:`LimitedWSStream` applies ``REALTIME_MAX_MESSAGE_BYTES`` (or hypercorn's
setting if lower; ``maigie serve`` sets that one to the same value) before buffering,
and completes the close.

permessage-deflate is declined unless ``REALTIME_COMPRESSION``: each compressed socket
holds a zlib compressor and decompressor (≈100 KiB) and compresses every frame
separately, so a fan-out compresses the same event once per socket (measured at 10,000
idle sockets: 139 KiB per socket with compression, 44 KiB without, and ~100 µs of CPU
per frame sent). Declining is standard: the client carries on uncompressed. When it is
accepted, :class:`BoundedPerMessageDeflate` inflates no message past the limit (wsproto
inflates whatever one read holds: 64 KiB of zeros is 64 MiB).

A handshake hypercorn refuses (400, e.g. no ``Sec-WebSocket-Key``) had an empty body and
a connection left open: it gets the error envelope and the connection ends
(:mod:`maigie_core.protocol_errors`).

hypercorn has no setting or hook for either: its HTTP/1.1 and HTTP/2 protocols build
``WSStream``, and its handshake ``PerMessageDeflate``, from their module globals, so
:func:`configure` rebinds those names to the subclasses here (the only seam; no method of
hypercorn's own classes is replaced; HTTP/3 is never bound by maigie). That is
process-wide: the last app built in a process sets the limit. The subclasses override
internals, read for the releases in :data:`COMPATIBLE` only: any other refuses to start.
"""

from __future__ import annotations

import zlib
from importlib.metadata import version
from time import time
from typing import Any

from hypercorn.protocol import h2, h11, ws_stream
from hypercorn.protocol.events import Body, EndBody, Response, StreamClosed
from hypercorn.protocol.ws_stream import FrameTooLargeError, WebsocketBuffer, WSStream
from hypercorn.typing import ResponseSummary
from wsproto.connection import ConnectionState
from wsproto.events import CloseConnection, Message, Ping
from wsproto.extensions import PerMessageDeflate
from wsproto.frame_protocol import CloseReason, FrameDecoder, FrameProtocol

from maigie_core.protocol_errors import refusal
from maigie_core.realtime.endpoint import CLOSE_WAIT

# distribution -> the release series whose internals these classes were written against
COMPATIBLE = {"hypercorn": "0.18.", "wsproto": "1.3."}


class IncompatibleServerError(RuntimeError):
    """hypercorn or wsproto is a version this module was not written against."""


def incompatible(installed: dict[str, str]) -> str | None:
    """Why ``installed`` (distribution -> version) cannot be patched, or None."""
    for dist, series in COMPATIBLE.items():
        if not installed[dist].startswith(series):
            return (
                f"{dist} {installed[dist]} is not {series}x: maigie's WebSocket message "
                "limit subclasses its internals (maigie_core/realtime/hypercorn_ws.py); "
                "check them against the new version, then update COMPATIBLE"
            )
    return None


def _utf8_size(data: str | bytes) -> int:
    if isinstance(data, str) and not data.isascii():  # isascii is O(1) on str
        return len(data.encode())
    return len(data)


class MessageBuffer(WebsocketBuffer):
    """hypercorn's message buffer, counting UTF-8 bytes (it counts characters of text)
    and refusing a piece *before* storing it (it stored, then checked)."""

    def __init__(self, max_length: int) -> None:
        super().__init__(max_length)
        self.size = 0

    def extend(self, event: Message[Any]) -> None:
        self.size += _utf8_size(event.data)
        if self.size > self.max_length:
            raise FrameTooLargeError()
        super().extend(event)

    def clear(self) -> None:
        super().clear()
        self.size = 0


class LimitedWSStream(WSStream):
    """hypercorn's ``WSStream`` whose message limit holds and whose 1009 close completes.

    A message over the limit closes the socket with 1009 as soon as its pieces pass the
    limit; the rest of it (and anything after) is dropped as it arrives while the loop
    goes on, so the client's Close completes the close. A client that does not answer within
    ``CLOSE_WAIT`` is disconnected. A frame wsproto cannot parse gets a Close with
    wsproto's code (hypercorn dropped the connection: 1006 at the client).
    """

    max_message_bytes = 16 * 1024 * 1024  # set by :func:`configure`

    def __init__(self, app: Any, config: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(app, config, *args, **kwargs)
        limit = min(config.websocket_max_message_size, self.max_message_bytes)
        self.buffer = MessageBuffer(limit)
        self.refused = False

    async def _handle_events(self) -> None:  # hypercorn's, but for the three changes above
        for event in self.connection.events():
            if isinstance(event, Message):
                if self.refused:
                    continue
                try:
                    self.buffer.extend(event)
                except FrameTooLargeError:
                    await self._refuse()
                    continue
                if event.message_finished:
                    assert self.app_put is not None
                    await self.app_put(self.buffer.to_message())
                    self.buffer.clear()
            elif isinstance(event, Ping):
                await self._send_wsproto_event(event.response())
            elif isinstance(event, CloseConnection):
                if self.connection.state == ConnectionState.REMOTE_CLOSING:
                    await self._send_wsproto_event(event.response())
                elif self.connection.state == ConnectionState.OPEN:  # wsproto's ParseFailed
                    await self._send_wsproto_event(CloseConnection(event.code, event.reason))
                await self.send(StreamClosed(stream_id=self.stream_id))

    async def _refuse(self) -> None:
        self.refused = True
        self.buffer.clear()
        reason = f"Messages are limited to {self.buffer.max_length} bytes"
        await self._send_wsproto_event(CloseConnection(CloseReason.MESSAGE_TOO_BIG, reason))
        self.task_group.spawn(self._disconnect_later)

    async def _send_error_response(self, status_code: int) -> None:
        """hypercorn's refusal of a handshake (400: invalid), in the envelope
        (:mod:`maigie_core.protocol_errors`); and then the stream ends: hypercorn said
        ``Connection: close`` but left the connection open, for as long as the client
        liked, when it refused the handshake itself."""
        message = "Invalid WebSocket handshake" if status_code == 400 else None
        headers, body = refusal(status_code, message)
        if self.scope.get("http_version") != "2":  # HTTP/2 has no connection header
            headers.append((b"connection", b"close"))
        await self.send(
            Response(stream_id=self.stream_id, status_code=status_code, headers=headers)
        )
        await self.send(Body(stream_id=self.stream_id, data=body))
        await self.send(EndBody(stream_id=self.stream_id))
        summary: ResponseSummary = {"status": status_code, "headers": []}
        await self.config.log.access(self.scope, summary, time() - self.start_time)
        await self.send(StreamClosed(stream_id=self.stream_id))

    async def _disconnect_later(self) -> None:
        for _ in range(int(CLOSE_WAIT / 0.1)):  # polled: the task ends soon after the close
            await self.context.sleep(0.1)
            if self.closed:
                return
        await self.send(StreamClosed(stream_id=self.stream_id))


class DeclinedPerMessageDeflate(PerMessageDeflate):
    """permessage-deflate that the server never accepts."""

    def accept(self, offer: str) -> None:
        return None


class BoundedPerMessageDeflate(PerMessageDeflate):
    """permessage-deflate inflating at most the limit (+4) of a message: its stream then
    sees more than the limit and closes 1009; the rest is never inflated. The 4 bytes:
    UTF-8 decoding holds back up to 3 bytes of a cut character."""

    max_message_bytes = 16 * 1024 * 1024  # set by :func:`configure`

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.inflated = 0  # of the current message

    def frame_inbound_payload_data(
        self, proto: FrameDecoder | FrameProtocol, data: bytes
    ) -> bytes | CloseReason:
        if not self._inbound_compressed or not self._inbound_is_compressible:
            return data
        room = self.max_message_bytes + 4 - self.inflated
        if room <= 0:
            return b""
        assert self._decompressor is not None
        try:
            inflated = self._decompressor.decompress(data, room)
        except zlib.error:
            return CloseReason.INVALID_FRAME_PAYLOAD_DATA
        self.inflated += len(inflated)
        return inflated

    def frame_inbound_complete(
        self, proto: FrameDecoder | FrameProtocol, fin: bool
    ) -> bytes | CloseReason | None:
        if self.inflated > self.max_message_bytes:  # refused: stay so, the socket closes
            if fin:
                self._inbound_compressed = None
            return None
        if fin:
            self.inflated = 0
        return super().frame_inbound_complete(proto, fin)


def configure(compression: bool, max_message_bytes: int) -> None:
    """Install :class:`LimitedWSStream` and the permessage-deflate policy in hypercorn."""
    reason = incompatible({dist: version(dist) for dist in COMPATIBLE})
    if reason:
        raise IncompatibleServerError(reason)
    for module in (h11, h2):
        if getattr(module, "WSStream", None) not in (WSStream, LimitedWSStream):
            raise IncompatibleServerError(f"{module.__name__}.WSStream is not hypercorn's")
    LimitedWSStream.max_message_bytes = max_message_bytes
    BoundedPerMessageDeflate.max_message_bytes = max_message_bytes
    deflate = BoundedPerMessageDeflate if compression else DeclinedPerMessageDeflate
    setattr(ws_stream, "PerMessageDeflate", deflate)  # noqa: B010 - a rebinding, see above
    setattr(h11, "WSStream", LimitedWSStream)  # noqa: B010
    setattr(h2, "WSStream", LimitedWSStream)  # noqa: B010
