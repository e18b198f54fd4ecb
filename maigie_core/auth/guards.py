"""The one way to protect a route: ``@require_user`` (401) and ``@require_admin`` (403).

Put the guard directly under the route decorator::

    @bp.post("/goals")
    @require_user
    @validate_body(GoalIn)
    async def create_goal(data: GoalIn):
        user = current_user()

Authentication happens before the body is validated against the route's schema. The
core's checks of every request run before it: a body declared JSON, no NUL in text, the
query string read as the route documents it (no repeated parameter, integers in digits,
booleans ``true``/``false``): an anonymous caller learns from them only what the public
OpenAPI document says. The route is documented as needing ``bearerAuth``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import wraps
from typing import ParamSpec, TypeVar

from quart import g, request
from quart_schema import security_scheme

from maigie_core.auth.state import AuthState, auth_state
from maigie_core.auth.tokens import AccessClaims
from maigie_core.auth.user_cache import UserRecord
from maigie_core.errors import Forbidden, Unauthorized
from maigie_core.principal import Principal

P = ParamSpec("P")
R = TypeVar("R")

_BEARER: list[dict[str, list[str]]] = [{"bearerAuth": []}]


async def load_user(state: AuthState, user_id: str) -> UserRecord | None:
    """The user's record: from the cache when it is live, else one SQL statement."""
    record = state.cache.get(user_id)
    if record is None:
        epoch = state.cache.epoch
        record = await state.loader.load(user_id)
        if record is not None:
            state.cache.put(record, epoch)
    return record


async def authenticate_token(
    token: str, state: AuthState | None = None
) -> tuple[UserRecord, AccessClaims]:
    """Verify an access token and return its user (also for WebSockets); else 401."""
    state = state or auth_state()
    claims = state.jwt.verify_access(token)
    record = await load_user(state, claims.user_id)
    if (
        record is None
        or not record.is_active
        or record.token_version != claims.version
        or claims.session_id in record.revoked_sessions
    ):
        raise Unauthorized("Invalid token")
    return record, claims


def _bearer_token() -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized()
    return token.strip()


async def authenticate_request() -> UserRecord:
    record, claims = await authenticate_token(_bearer_token())
    g.maigie_user = record
    g.maigie_claims = claims
    return record


def current_user() -> Principal:
    """The caller of a ``@require_user`` route."""
    record: UserRecord | None = g.get("maigie_user")
    if record is None:
        raise Unauthorized()
    return record.principal


def current_record() -> UserRecord:
    record: UserRecord | None = g.get("maigie_user")
    if record is None:
        raise Unauthorized()
    return record


def current_claims() -> AccessClaims:
    claims: AccessClaims | None = g.get("maigie_claims")
    if claims is None:
        raise Unauthorized()
    return claims


def require_user(func: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
    """Refuse the route with 401 unless a valid access token of an active user is sent."""

    @wraps(func)
    async def guarded(*args: P.args, **kwargs: P.kwargs) -> R:
        await authenticate_request()
        return await func(*args, **kwargs)

    return security_scheme(_BEARER)(guarded)


def require_admin(func: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
    """As :func:`require_user`, and 403 unless the caller's role is ``admin``."""

    @wraps(func)
    async def guarded(*args: P.args, **kwargs: P.kwargs) -> R:
        record = await authenticate_request()
        if record.principal.role != "admin":
            raise Forbidden("Administrators only")
        return await func(*args, **kwargs)

    return security_scheme(_BEARER)(guarded)
