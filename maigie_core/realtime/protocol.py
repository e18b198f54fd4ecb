"""The WebSocket protocol of ``/api/v1/realtime/ws`` (SPEC §7): messages, codes, parsing.

Every frame is a JSON text object with a ``type``. The pydantic models below are the
contract; their JSON Schemas are published in ``/openapi.json`` (components named
``Realtime*``). Parsing a client frame never raises: a bad frame becomes a
:class:`ProtocolError` the socket answers with an ``error`` message.
"""

from __future__ import annotations

import json
import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from maigie_core.responses import MaigieJSONProvider

# -- close codes ------------------------------------------------------------------------
CLOSE_GOING_AWAY = 1001  # server shutdown
CLOSE_TRY_AGAIN = 1013  # the client does not read: its send queue overflowed
CLOSE_UNAUTHENTICATED = 4401  # no/invalid token, logged out, deactivated
CLOSE_HEARTBEAT_TIMEOUT = 4408  # silent past WEBSOCKET_HEARTBEAT_TIMEOUT
CLOSE_FLOODING = 4429  # more than twice REALTIME_MESSAGES_PER_SECOND

CHANNEL_PATTERN = re.compile(r"^[A-Za-z0-9_.:@-]{1,200}$")
BROADCAST_CHANNEL = "broadcast"  # every socket receives it, no subscription needed


class ProtocolError(Exception):
    """A client frame the server refuses; becomes an ``error`` message."""

    def __init__(self, code: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.extra = extra

    def as_message(self) -> dict[str, Any]:
        return {"type": "error", "code": self.code, "message": self.message, **self.extra}


class _Client(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class RealtimeAuth(_Client):
    """Client → server, first frame when the URL has no ``?token=``."""

    type: Literal["auth"]
    token: str = Field(min_length=1, max_length=4096)
    last_event_id: int | None = Field(
        default=None, ge=0, description="Reconnecting: replay what was missed before going live"
    )


class RealtimeHeartbeat(_Client):
    """Both ways: ``ping`` asks for a ``pong``; any client frame counts as alive."""

    type: Literal["heartbeat"]
    status: Literal["ping", "pong"] = "ping"


class RealtimeSubscribe(_Client):
    """Client → server: receive the events of ``channel`` (answered by ``subscription``);
    with ``last_event_id``, first replay the channel's events after it."""

    type: Literal["subscribe"]
    channel: str = Field(pattern=CHANNEL_PATTERN.pattern)
    last_event_id: int | None = Field(default=None, ge=0)


class RealtimeUnsubscribe(_Client):
    type: Literal["unsubscribe"]
    channel: str = Field(pattern=CHANNEL_PATTERN.pattern)


class RealtimeResume(_Client):
    """Client → server: replay, in order, the events after ``last_event_id`` on the
    socket's channels (subscribe first), then continue live. Events this socket already
    received live are not repeated, but they came before the replay: to resume without
    any reordering pass ``last_event_id`` when connecting (``?last_event_id=`` or in
    ``auth``) and in each ``subscribe``."""

    type: Literal["resume"]
    last_event_id: int = Field(ge=0)


ClientMessage = Annotated[
    RealtimeAuth | RealtimeHeartbeat | RealtimeSubscribe | RealtimeUnsubscribe | RealtimeResume,
    Field(discriminator="type"),
]
_client_adapter: TypeAdapter[Any] = TypeAdapter(ClientMessage)


class RealtimeConnection(BaseModel):
    """Server → client once authenticated."""

    type: Literal["connection"] = "connection"
    connection_id: str
    user_id: str
    heartbeat_interval: float
    heartbeat_timeout: float
    channels: list[str] = Field(description="Channels subscribed from the start")


class RealtimeSubscription(BaseModel):
    type: Literal["subscription"] = "subscription"
    status: Literal["subscribed", "unsubscribed"]
    channel: str


class RealtimeEvent(BaseModel):
    """A domain event. ``id`` increases across the whole system (one sequence); it is
    ``null`` for transient pushes, which are never replayed."""

    type: Literal["event"] = "event"
    id: int | None
    event: str = Field(examples=["course.created"])
    channel: str = Field(examples=["user:0b5e…"])
    data: dict[str, Any]


class RealtimeResumed(BaseModel):
    """Server → client after a ``resume``: the replay is complete, live events follow."""

    type: Literal["resume"] = "resume"
    status: Literal["completed"] = "completed"
    replayed: int
    last_event_id: int


class RealtimeError(BaseModel):
    """Server → client. Codes: ``UNAUTHORIZED``, ``SESSION_ENDED``, ``INVALID_MESSAGE``,
    ``INVALID_CHANNEL``, ``FORBIDDEN``, ``TOO_MANY_SUBSCRIPTIONS``, ``RATE_LIMITED``,
    ``RESUME_TOO_OLD`` and ``EVENTS_LOST`` (refetch over REST), ``HEARTBEAT_TIMEOUT``,
    ``SLOW_CONSUMER``, ``SERVER_SHUTDOWN``. (A message over ``REALTIME_MAX_MESSAGE_BYTES``
    gets no error: the server closes 1009 before reading it.)"""

    type: Literal["error"] = "error"
    code: str
    message: str
    channel: str | None = None


SCHEMA_MODELS: tuple[type[BaseModel], ...] = (
    RealtimeAuth,
    RealtimeHeartbeat,
    RealtimeSubscribe,
    RealtimeUnsubscribe,
    RealtimeResume,
    RealtimeConnection,
    RealtimeSubscription,
    RealtimeEvent,
    RealtimeResumed,
    RealtimeError,
)


def dumps(message: dict[str, Any]) -> str:
    """One compact JSON text frame (timestamps RFC 3339, UUIDs as strings)."""
    return json.dumps(
        message, separators=(",", ":"), ensure_ascii=False, default=MaigieJSONProvider.default
    )


def parse_client_frame(raw: str | bytes) -> Any:
    """The client message in ``raw``; raises :class:`ProtocolError` for anything else.

    Its size is already checked: hypercorn's stream closes 1009 above the limit
    (:mod:`maigie_core.realtime.hypercorn_ws`)."""
    if isinstance(raw, bytes | bytearray):
        raise ProtocolError("INVALID_MESSAGE", "Send JSON text frames, not binary")
    try:
        data = json.loads(raw)
    except ValueError:
        raise ProtocolError("INVALID_MESSAGE", "The frame is not valid JSON") from None
    if not isinstance(data, dict):
        raise ProtocolError("INVALID_MESSAGE", "A message is a JSON object with a type")
    kind = data.get("type")
    if kind not in ("auth", "heartbeat", "subscribe", "unsubscribe", "resume"):
        raise ProtocolError("INVALID_MESSAGE", f"Unknown message type {str(kind)[:40]!r}")
    try:
        return _client_adapter.validate_python(data)
    except ValidationError as exc:
        first = exc.errors(include_url=False, include_input=False)[0]
        where = ".".join(str(p) for p in first["loc"][1:]) or "message"
        code = "INVALID_CHANNEL" if where == "channel" else "INVALID_MESSAGE"
        raise ProtocolError(code, f"{kind}: {where}: {first['msg']}") from None
