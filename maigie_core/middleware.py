"""Per-request plumbing: request id, access log, security headers, CORS, body limit,
JSON-only request bodies, query strings as routes document them.

Written as Quart before/after-request functions rather than ASGI layers: each costs a
few microseconds, which matters at thousands of requests per second per core.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, Literal, cast, overload

from hypercorn.typing import ASGIReceiveCallable, ASGISendCallable
from pydantic_core import from_json
from quart import Quart, Response, g, request, websocket
from quart.asgi import ASGIHTTPConnection, _handle_exception
from quart.typing import ResponseTypes
from quart.utils import cancel_tasks, encode_headers, raise_task_exceptions
from quart.wrappers import Request
from quart.wrappers.response import DataBody
from quart_cors import cors
from werkzeug.exceptions import BadRequest, RequestTimeout, UnsupportedMediaType

from maigie_core import protocol_errors
from maigie_core.errors import ValidationFailed
from maigie_core.querystring import check_query_string
from maigie_core.redaction import PathRedactor, protect_hypercorn_access_log
from maigie_core.settings import Settings

access_log = logging.getLogger("maigie.access")

REQUEST_ID_HEADER = "X-Request-ID"
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
# A NUL in a JSON body: a \u0000 escape that is not itself escaped.
_ESCAPED_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")


def _nul(where: str) -> ValidationFailed:
    return ValidationFailed(
        detail=[{"loc": [where], "msg": "must not contain NUL characters", "type": "value_error"}]
    )


class MaigieRequest(Request):
    """Quart's request, parsing JSON the way pydantic's ``model_validate_json`` does.

    Bodies are parsed with ``pydantic_core.from_json`` (jiter), as the routes that
    validate raw bytes do, so every route gives one answer per kind of bad body:

    * not UTF-8, malformed, a lone surrogate (``"\\ud800"``, not Unicode text) or
      nested past the parser's limit (``[`` x 100 000, a ``RecursionError`` 500 with the
      stdlib parser): 400 ``BAD_REQUEST``;
    * empty: no body (``None``), which the route's validation refuses with 422, as
      without a content type (it was 400 with ``application/json``, 422 without).
    """

    async def get_json(self, force: bool = False, silent: bool = False, cache: bool = True) -> Any:
        if not (force or self.is_json):
            return None
        data = await self.get_data(cache=cache, as_text=False)
        if not data.strip():
            return None
        try:
            return from_json(data, allow_inf_nan=False)
        except ValueError:
            if silent:
                return None
            raise BadRequest() from None

    @overload
    async def get_data(
        self, cache: bool, as_text: Literal[False], parse_form_data: bool
    ) -> bytes: ...

    @overload
    async def get_data(self, cache: bool, as_text: Literal[True], parse_form_data: bool) -> str: ...

    @overload
    async def get_data(
        self, cache: bool = True, as_text: bool = False, parse_form_data: bool = False
    ) -> str | bytes: ...

    async def get_data(
        self, cache: bool = True, as_text: bool = False, parse_form_data: bool = False
    ) -> str | bytes:
        if parse_form_data:
            await self._load_form_data()
        # Quart's own get_data bounds the wait with asyncio.wait_for, which on Python
        # 3.11 wraps the body in a new task (and two more loop callbacks) per request;
        # asyncio.timeout gives the same bound (BODY_TIMEOUT, 408) without one.
        try:
            async with asyncio.timeout(self.body_timeout):
                raw: bytes = await self.body
        except TimeoutError as exc:
            raise RequestTimeout() from exc
        if not cache:
            self.body.clear()
        if not as_text:
            return raw
        try:
            return raw.decode()
        except UnicodeDecodeError as exc:
            raise BadRequest() from exc


class MaigieASGIHTTPConnection(ASGIHTTPConnection):
    """Quart's HTTP connection, without its two tasks per request in the common case.

    Quart runs every request as two new tasks (one receiving the body and watching for
    the client leaving, one handling) joined by ``asyncio.wait``, then cancels the
    receiver; it bounds the send with ``asyncio.wait_for`` (one more task on Python
    3.11) and sends a body as three messages. Here, when the whole body is already at
    hand (every GET, and a small POST read with its headers), the request is handled in
    hypercorn's task for it, the send is bounded with ``asyncio.timeout``
    (RESPONSE_TIMEOUT or the response's own) and a response held in memory goes out as
    two messages. A body still arriving, or a streamed response (the client may leave
    mid-stream), takes Quart's way: the receiving task runs alongside.
    """

    async def __call__(self, receive: ASGIReceiveCallable, send: ASGISendCallable) -> None:
        request = self._create_request_from_scope(send)
        # hypercorn's receive is its asyncio.Queue's get: the messages already queued
        # (a body read with its headers) are taken here without waiting.
        queue = getattr(receive, "__self__", None)
        message = await receive()
        while True:
            if message["type"] == "http.disconnect":
                return
            request.body.append(cast(bytes, message.get("body", b"")))
            if not message.get("more_body", False):
                break
            if not (isinstance(queue, asyncio.Queue) and queue.qsize()):  # still arriving
                await self._alongside_receiver(request, receive, self.handle_request(request, send))
                return
            message = queue.get_nowait()
        request.body.set_complete()
        response = await self._response(request)
        if _in_memory(response):
            await self._send_bounded(send, response)
        else:  # streamed: the client may leave mid-stream
            await self._alongside_receiver(request, receive, self._send_bounded(send, response))

    async def handle_request(self, request: Request, send: ASGISendCallable) -> None:
        await self._send_bounded(send, await self._response(request))

    async def _response(self, request: Request) -> Any:
        try:
            return await self.app.handle_request(request)
        except Exception as error:
            return await _handle_exception(self.app, error)

    async def _send_bounded(self, send: ASGISendCallable, response: Any) -> None:
        if isinstance(response, Response) and response.timeout != Ellipsis:
            timeout = cast(float | None, response.timeout)
        else:
            timeout = self.app.config["RESPONSE_TIMEOUT"]
        try:
            async with asyncio.timeout(timeout):
                if _in_memory(response):
                    await self._send_data(send, response)
                else:
                    await self._send_response(send, response)
        except TimeoutError:
            pass

    @staticmethod
    async def _send_data(send: ASGISendCallable, response: Response) -> None:
        body = cast(DataBody, response.response)
        await send(
            {
                "type": "http.response.start",
                "status": response.status_code,
                "headers": encode_headers(response.headers),
            }
        )
        await send(
            {
                "type": "http.response.body",
                "body": body.data[body.begin : body.end],
                "more_body": False,
            }
        )

    async def _alongside_receiver(
        self, request: Request, receive: ASGIReceiveCallable, work: Awaitable[None]
    ) -> None:
        """Quart's way: ``work`` and the receiving task race; the loser is cancelled."""
        receiver_task = asyncio.ensure_future(self.handle_messages(request, receive))
        handler_task = asyncio.ensure_future(work)
        done, pending = await asyncio.wait(
            [handler_task, receiver_task], return_when=asyncio.FIRST_COMPLETED
        )
        await cancel_tasks(pending)
        raise_task_exceptions(done)


def _in_memory(response: Any) -> bool:
    return isinstance(response, Response) and isinstance(response.response, DataBody)


def _request_id(supplied: str | None) -> str:
    """The client's ``X-Request-ID`` when it is sane, else a fresh one."""
    if supplied and _SANE_REQUEST_ID.match(supplied):
        return supplied
    return uuid.uuid4().hex


def _security_headers(settings: Settings) -> dict[str, str]:
    headers = {
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "strict-origin-when-cross-origin",
    }
    if settings.is_production:
        headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    return headers


def install_middleware(
    app: Quart, settings: Settings, observe: Callable[[Any, int, float], None] | None = None
) -> None:
    """Wire request id, access log, headers, CORS and the body size limit into ``app``.

    ``observe(request, status, seconds)`` is called once per response (the metrics).
    """
    app.request_class = MaigieRequest
    app.asgi_http_class = MaigieASGIHTTPConnection
    app.config["MAX_CONTENT_LENGTH"] = settings.MAX_BODY_BYTES
    security_headers = _security_headers(settings)
    log_requests = settings.ACCESS_LOG
    # what hypercorn refuses itself (a malformed or oversized head) gets the envelope too
    protocol_errors.install(security_headers, log_requests, observe)
    logged_path = PathRedactor()
    protect_hypercorn_access_log()

    @app.before_request
    async def begin_request() -> None:
        current: Request = cast(Any, request)._get_current_object()  # one context lookup
        g.request_id = _request_id(current.headers.get(REQUEST_ID_HEADER))
        g.started = time.perf_counter()
        if current.query_string:
            # every route's query string, as the route documents it: no repeated
            # parameter, no lax integer or boolean (maigie_core/querystring.py)
            check_query_string(app, current)

    # A WebSocket handshake Quart answers itself (a path with no socket: 404) is an HTTP
    # response like any other: it carries the request id and the security headers too.
    @app.before_websocket
    async def assign_websocket_request_id() -> None:
        g.request_id = _request_id(websocket.headers.get(REQUEST_ID_HEADER))

    @app.after_websocket
    async def finish_websocket_refusal(response: ResponseTypes | None) -> ResponseTypes | None:
        if response is not None:
            response.headers[REQUEST_ID_HEADER] = g.request_id
            response.headers.update(security_headers)
        return response

    @app.before_request
    async def require_json_bodies() -> None:
        # JSON is the one request format: a body of any other type (or none declared) is
        # one answer on every route, 415, instead of 422 on some and parsed on others.
        # NUL, which no text column of PostgreSQL can hold (a 500 there, stored on
        # SQLite), is refused in any body with 422 on both engines (search parameters
        # take it as data: tests/hostile/test_params.py).
        if request.method not in _BODY_METHODS:
            return
        body = await request.get_data(as_text=False)  # bounded by MAX_CONTENT_LENGTH (413)
        assert isinstance(body, bytes)
        if body and not request.is_json:
            raise UnsupportedMediaType()
        if _ESCAPED_NUL.search(body):
            raise _nul("body")

    @app.after_request
    async def finish_response(response: Response) -> Response:
        request_id = g.get("request_id")
        if request_id is None:  # the request failed before before_request ran
            request_id = g.request_id = uuid.uuid4().hex
        response.headers[REQUEST_ID_HEADER] = request_id
        response.headers.update(security_headers)
        if response.status_code == 204:  # ("", 204): no body, so no type and no length
            response.headers.pop("Content-Type", None)
            response.headers.pop("Content-Length", None)
        started = g.get("started")
        elapsed = time.perf_counter() - started if started else 0.0
        if observe is not None:
            observe(request, response.status_code, elapsed)
        if log_requests and access_log.isEnabledFor(logging.INFO):
            _log_access(response.status_code, request_id, elapsed * 1000)
        return response

    def _log_access(status: int, request_id: str, elapsed_ms: float) -> None:
        method, path = request.method, logged_path(request)
        # The path only, with credential URL variables (a feed <token>) redacted: query
        # strings may carry tokens and never reach the log. The record is made
        # directly: Logger.info would walk the stack for the caller's file and line on
        # every request, which the access log does not need.
        record = access_log.makeRecord(
            access_log.name,
            logging.INFO,
            __file__,
            0,
            "%s %s %s %.1fms",
            (method, path, status, elapsed_ms),
            None,
            extra={
                "request_id": request_id,
                "method": method,
                "path": path,
                "status": status,
                "duration_ms": round(elapsed_ms, 2),
            },
        )
        access_log.handle(record)

    if settings.CORS_ORIGINS:
        cors(
            app,
            allow_origin=settings.CORS_ORIGINS,
            allow_headers=["Authorization", "Content-Type", REQUEST_ID_HEADER, "Idempotency-Key"],
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
            expose_headers=[REQUEST_ID_HEADER, "Retry-After"],
            max_age=600,
        )
