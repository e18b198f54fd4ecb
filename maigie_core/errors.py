"""The exception classes and the one JSON error envelope (SPEC §4).

Every error leaves the app as::

    {"status_code": 403, "code": "...", "message": "...", "detail": ..., "request_id": "..."}

Raise a :class:`MaigieError` subclass from any route, service or plugin; everything
else (validation, unknown routes, oversized bodies, malformed JSON, crashes) is mapped
here too, so no other error format exists.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

import peewee
from psycopg import OperationalError
from pydantic import BaseModel
from quart import Quart, Response, current_app, g, jsonify
from quart_schema import RequestSchemaValidationError, ResponseSchemaValidationError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from werkzeug.exceptions import HTTPException
from werkzeug.routing.exceptions import WebsocketMismatch

log = logging.getLogger("maigie.errors")


class ErrorResponse(BaseModel):
    """The error envelope, as published in the OpenAPI document."""

    status_code: int
    code: str
    message: str
    detail: Any = None
    request_id: str | None = None


class MaigieError(Exception):
    """Base of every error with a place in the envelope."""

    status_code = 500
    code = "INTERNAL_SERVER_ERROR"
    message = "Internal server error"

    def __init__(
        self,
        message: str | None = None,
        *,
        detail: Any = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message or self.message)
        self.message = message or self.message
        self.detail = detail
        self.headers = headers or {}


class ValidationFailed(MaigieError):
    status_code, code, message = 422, "VALIDATION_ERROR", "Request validation failed"


class BadRequest(MaigieError):
    status_code, code, message = 400, "BAD_REQUEST", "Bad request"


class Unauthorized(MaigieError):
    status_code, code, message = 401, "UNAUTHORIZED", "Authentication required"

    def __init__(self, message: str | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("headers", {"WWW-Authenticate": "Bearer"})
        super().__init__(message, **kwargs)


class Forbidden(MaigieError):
    status_code, code, message = 403, "FORBIDDEN", "Forbidden"


class SubscriptionLimitExceeded(MaigieError):
    status_code, code = 403, "SUBSCRIPTION_LIMIT_EXCEEDED"
    message = "This requires a Premium subscription"


class NotFound(MaigieError):
    status_code, code, message = 404, "RESOURCE_NOT_FOUND", "Resource not found"


class Conflict(MaigieError):
    status_code, code, message = 409, "CONFLICT", "Conflict"


class RateLimited(MaigieError):
    status_code, code, message = 429, "RATE_LIMITED", "Too many requests"

    def __init__(self, retry_after: int, message: str | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("headers", {"Retry-After": str(max(1, int(retry_after)))})
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class ServiceUnavailable(MaigieError):
    status_code, code, message = 503, "SERVICE_UNAVAILABLE", "Service temporarily unavailable"


# Werkzeug HTTP errors raised by Quart itself, mapped onto envelope codes.
_HTTP_CODES = {
    400: "BAD_REQUEST",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "RESOURCE_NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    408: "REQUEST_TIMEOUT",
    409: "CONFLICT",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    422: "VALIDATION_ERROR",
    429: "RATE_LIMITED",
    431: "HEADERS_TOO_LARGE",
    500: "INTERNAL_SERVER_ERROR",
    501: "NOT_IMPLEMENTED",
}
_HTTP_MESSAGES = {
    404: "Resource not found",
    405: "Method not allowed",
    400: "Malformed request body",  # Quart raises 400 when it cannot parse a body
    413: "Request body too large",
    415: "Request bodies must be JSON (Content-Type: application/json)",
    500: "Internal server error",
}


def describe_status(status: int) -> tuple[str, str]:
    """(envelope code, message) of an HTTP error raised outside Maigie's own classes."""
    code = _HTTP_CODES.get(status, "HTTP_ERROR")
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "HTTP error"
    return code, _HTTP_MESSAGES.get(status, phrase)


def error_response(
    status_code: int,
    code: str,
    message: str,
    detail: Any = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """Build the envelope response; every error path ends here."""
    body = {
        "status_code": status_code,
        "code": code,
        "message": message,
        "detail": detail,
        "request_id": g.get("request_id"),
    }
    response = jsonify(body)
    response.status_code = status_code
    if headers:
        response.headers.update(headers)
    return response


def _validation_detail(error: Exception) -> Any:
    validation_error = getattr(error, "validation_error", error)
    errors = getattr(validation_error, "errors", None)
    if callable(errors):
        try:
            return [
                {"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]}
                for e in errors(include_url=False, include_input=False, include_context=False)
            ]
        except TypeError:
            pass
    return [{"loc": [], "msg": str(validation_error), "type": "value_error"}]


def _debug_detail(error: BaseException) -> Any:
    if current_app.config.get("MAIGIE_EXPOSE_DETAIL"):
        return f"{type(error).__name__}: {error}"
    return None


async def _handle_maigie_error(error: MaigieError) -> Response:
    return error_response(error.status_code, error.code, error.message, error.detail, error.headers)


async def _handle_request_validation(error: RequestSchemaValidationError) -> Response:
    return error_response(
        422, "VALIDATION_ERROR", "Request validation failed", _validation_detail(error)
    )


async def _handle_response_validation(error: ResponseSchemaValidationError) -> Response:
    log.error("response failed its schema: %s", error, extra={"request_id": g.get("request_id")})
    return error_response(
        500, "INTERNAL_SERVER_ERROR", "Internal server error", _debug_detail(error)
    )


async def _handle_http_exception(error: HTTPException) -> Response:
    status = error.code or 500
    code, message = describe_status(status)
    if isinstance(error, WebsocketMismatch):  # a WebSocket handshake on an HTTP-only route
        message = "No WebSocket is served at this URL"
    headers: dict[str, str] = {}
    if status == 405 and getattr(error, "valid_methods", None):
        headers["Allow"] = ", ".join(error.valid_methods)  # type: ignore[attr-defined]
    return error_response(status, code, message, None, headers)


async def _handle_database_down(error: Exception) -> Response:
    log.warning("database unavailable: %s", error, extra={"request_id": g.get("request_id")})
    return error_response(
        503,
        "SERVICE_UNAVAILABLE",
        "The database is unavailable; try again shortly",
        _debug_detail(error),
        {"Retry-After": "1"},
    )


async def _handle_redis_down(error: Exception) -> Response:
    log.warning("redis unavailable: %s", error, extra={"request_id": g.get("request_id")})
    return error_response(
        503,
        "SERVICE_UNAVAILABLE",
        "A backing service is unavailable; try again shortly",
        _debug_detail(error),
        {"Retry-After": "1"},
    )


async def _handle_unexpected(error: Exception) -> Response:
    log.exception("unhandled error", extra={"request_id": g.get("request_id")})
    return error_response(
        500, "INTERNAL_SERVER_ERROR", "Internal server error", _debug_detail(error)
    )


def install_error_handlers(app: Quart) -> None:
    """Route every error the app can raise through :func:`error_response`."""
    app.register_error_handler(MaigieError, _handle_maigie_error)
    app.register_error_handler(RequestSchemaValidationError, _handle_request_validation)
    app.register_error_handler(ResponseSchemaValidationError, _handle_response_validation)
    app.register_error_handler(HTTPException, _handle_http_exception)
    for database_error in (peewee.OperationalError, peewee.InterfaceError, OperationalError):
        app.register_error_handler(database_error, _handle_database_down)
    for redis_error in (RedisConnectionError, RedisTimeoutError):
        app.register_error_handler(redis_error, _handle_redis_down)
    app.register_error_handler(Exception, _handle_unexpected)
