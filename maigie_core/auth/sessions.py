"""Refresh-token families: login starts one, refresh rotates it, reuse kills it.

Each refresh token is single use: ``refresh`` spends it (an atomic conditional UPDATE,
so two concurrent uses cannot both win) and issues the next one in the same family.
Presenting a spent token again means it was stolen or replayed: the whole family is
revoked and every token in it stops working. Logout revokes the family; a password
change revokes every family of the user.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from maigie_core.auth.models import AuthSession, RefreshToken, User
from maigie_core.auth.state import AuthState
from maigie_core.auth.tokens import RefreshClaims
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
        await revoke_session(claims.session_id, "reuse")
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
    await revoke_session(claims.session_id, "logout")
    return claims


async def revoke_session(session_id: str, reason: str) -> None:
    now = utcnow()
    async with transaction():
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
