"""Refresh-token families: login starts one, refresh rotates it, reuse kills it.

Each refresh token is single use: ``refresh`` spends it (an atomic conditional UPDATE,
so two concurrent uses cannot both win) and issues the next one in the same family.
Presenting a spent token again means it was stolen or replayed: the whole family is
revoked and every token in it stops working. Logout revokes the family; a password
change revokes every family of the user.

Access tokens are stateless JWTs: a revoked family's access tokens would live until
they expire. So revoking one family also lists it on the user row
(``revoked_sessions``, pruned after an access-token lifetime), which authentication
reads anyway: they are refused from the next request, at no cost per request.
(Revoking every family bumps ``token_version`` instead.)
"""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from maigie_core.auth.models import AuthSession, RefreshToken, User
from maigie_core.auth.state import AuthState
from maigie_core.auth.tokens import RefreshClaims
from maigie_core.auth.user_cache import with_revoked
from maigie_core.db import transaction, utcnow
from maigie_core.errors import Unauthorized


def _epoch(dt: datetime) -> int:
    return int(dt.replace(tzinfo=UTC).timestamp())


async def _issue(state: AuthState, user_id: str, session_id: str, version: int) -> dict[str, Any]:
    expires = utcnow().replace(microsecond=0) + timedelta(seconds=state.jwt.refresh_ttl)
    row = await RefreshToken.aio_create(session_id=session_id, user_id=user_id, expires_at=expires)
    return {
        "access_token": state.jwt.issue_access(user_id, session_id, version),
        "refresh_token": state.jwt.issue_refresh(user_id, session_id, str(row.id), _epoch(expires)),
        "token_type": "bearer",
        "expires_in": state.jwt.access_ttl,
    }


async def start_session(state: AuthState, user: User) -> dict[str, Any]:
    """A new family for ``user``: the token pair a login returns."""
    async with transaction():
        session = await AuthSession.aio_create(user_id=user.id)
        return await _issue(state, str(user.id), str(session.id), user.token_version)


async def rotate(state: AuthState, refresh_token: str) -> dict[str, Any]:
    """Spend ``refresh_token`` and return the next pair; a reused token revokes its family."""
    claims = state.jwt.verify_refresh(refresh_token)
    now = utcnow()
    pair: dict[str, Any] | None = None
    reused = False
    async with transaction():
        spent = await (
            RefreshToken.update(spent_at=now)
            .where(
                (RefreshToken.id == claims.token_id)
                & (RefreshToken.session_id == claims.session_id)
                & RefreshToken.spent_at.is_null()
                & (RefreshToken.expires_at > now)
            )
            .aio_execute()
        )
        if spent:
            session = await AuthSession.aio_get_or_none(
                (AuthSession.id == claims.session_id) & AuthSession.revoked_at.is_null()
            )
            user = await User.aio_get_or_none(User.id == claims.user_id)
            if session is not None and user is not None and user.is_active:
                await (
                    AuthSession.update(last_used_at=now)
                    .where(AuthSession.id == session.id)
                    .aio_execute()
                )
                pair = await _issue(state, str(user.id), str(session.id), user.token_version)
        else:
            token = await RefreshToken.aio_get_or_none(RefreshToken.id == claims.token_id)
            reused = token is not None and token.spent_at is not None
    if reused:
        await revoke_session(state, claims.session_id, "reuse")
    if pair is None:
        raise Unauthorized("Invalid refresh token")
    return pair


async def end_session(state: AuthState, refresh_token: str) -> RefreshClaims:
    """Logout: revoke the family of ``refresh_token``; returns what the token said."""
    claims = state.jwt.verify_refresh(refresh_token)
    token = await RefreshToken.aio_get_or_none(
        (RefreshToken.id == claims.token_id) & (RefreshToken.session_id == claims.session_id)
    )
    if token is None:
        raise Unauthorized("Invalid refresh token")
    await revoke_session(state, claims.session_id, "logout")
    return claims


async def revoke_session(state: AuthState, session_id: str, reason: str) -> None:
    """Revoke one family: its refresh tokens and (through the user row) its access tokens."""
    now = utcnow()
    async with transaction():
        user_id = await _list_revoked(session_id, state.jwt.access_ttl)
        await (
            AuthSession.update(revoked_at=now, revoke_reason=reason)
            .where((AuthSession.id == session_id) & AuthSession.revoked_at.is_null())
            .aio_execute()
        )
        await (
            RefreshToken.update(spent_at=now)
            .where((RefreshToken.session_id == session_id) & RefreshToken.spent_at.is_null())
            .aio_execute()
        )
    if user_id is not None:
        await state.invalidation.publish(user_id)


async def _list_revoked(session_id: str, access_ttl: int) -> str | None:
    """Add ``session_id`` to its user's ``revoked_sessions`` until the last access token
    it issued has expired, dropping entries past that point; returns the user id.

    A compare-and-set update (retried) so concurrent revocations never lose an entry.
    """
    session = await AuthSession.aio_get_or_none(AuthSession.id == session_id)
    if session is None:
        return None
    now = int(time.time())
    for _ in range(10):
        stored = await (
            User.select(User.revoked_sessions).where(User.id == session.user_id).aio_scalar()
        )
        if stored is None:
            return None
        changed = await (
            User.update(revoked_sessions=with_revoked(stored, session_id, now, access_ttl))
            .where((User.id == session.user_id) & (User.revoked_sessions == stored))
            .aio_execute()
        )
        if changed:
            return str(session.user_id)
    raise RuntimeError("revoked_sessions kept changing under a logout")  # pragma: no cover


async def revoke_all(user_id: str | uuid.UUID, reason: str) -> None:
    """Revoke every family of the user (password change or reset, deactivation)."""
    now = utcnow()
    async with transaction():
        await (
            AuthSession.update(revoked_at=now, revoke_reason=reason)
            .where((AuthSession.user_id == user_id) & AuthSession.revoked_at.is_null())
            .aio_execute()
        )
        await (
            RefreshToken.update(spent_at=now)
            .where((RefreshToken.user_id == user_id) & RefreshToken.spent_at.is_null())
            .aio_execute()
        )
