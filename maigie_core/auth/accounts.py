"""Account operations shared by the routes, the admin API and the CLI.

Every change to a user row ends with ``invalidate(user_id)`` after its commit, so the
authentication cache of every process re-reads the user on its next request.
"""

from __future__ import annotations

import json
import unicodedata
import uuid
from typing import Any

import peewee

from maigie_core.auth import sessions
from maigie_core.auth.models import AuditEntry, MailRecord, OAuthAccount, User
from maigie_core.auth.state import AuthState
from maigie_core.auth.user_cache import UserRecord, rfc3339
from maigie_core.db import transaction, utcnow
from maigie_core.errors import Conflict, NotFound


def normalise_email(email: str) -> str:
    """The one stored form of an address: NFKC, trimmed, lower case."""
    return unicodedata.normalize("NFKC", email).strip().lower()


async def invalidate(state: AuthState, user_id: str | uuid.UUID) -> None:
    await state.invalidation.publish(str(user_id))


async def find_by_email(email: str) -> User | None:
    user: User | None = await User.aio_get_or_none(User.email == normalise_email(email))
    return user


async def get_user(user_id: str | uuid.UUID) -> User:
    try:
        user: User | None = await User.aio_get_or_none(User.id == uuid.UUID(str(user_id)))
    except ValueError:
        user = None
    if user is None:
        raise NotFound("User not found")
    return user


async def create_user(
    state: AuthState,
    email: str,
    password: str | None,
    *,
    name: str = "",
    role: str = "user",
    email_verified: bool = False,
) -> User:
    """Create an account; 409 if the address is taken."""
    password_hash = await state.passwords.hash(password) if password is not None else None
    try:
        async with transaction():
            user: User = await User.aio_create(
                email=normalise_email(email),
                password_hash=password_hash,
                name=name,
                role=role,
                email_verified=email_verified,
            )
    except peewee.IntegrityError:
        raise Conflict("An account with this email already exists") from None
    return user


async def check_password(state: AuthState, email: str, password: str) -> User | None:
    """The active user with these credentials, or ``None`` (same cost either way)."""
    user = await find_by_email(email)
    stored = user.password_hash if user is not None and user.is_active else None
    ok, new_hash = await state.passwords.verify(password, stored)
    if not ok or user is None:
        return None
    if new_hash is not None:  # parameters changed since this hash was made
        await User.update(password_hash=new_hash).where(User.id == user.id).aio_execute()
    return user


async def set_password(state: AuthState, user: User, password: str, reason: str) -> User:
    """New password: every refresh family and every access token issued so far die."""
    password_hash = await state.passwords.hash(password)
    async with transaction():
        await (
            User.update(
                password_hash=password_hash,
                token_version=User.token_version + 1,
                updated_at=utcnow(),
            )
            .where(User.id == user.id)
            .aio_execute()
        )
        await sessions.revoke_all(user.id, reason)
    await invalidate(state, user.id)
    return await get_user(user.id)


async def update_profile(state: AuthState, user_id: str, changes: dict[str, Any]) -> None:
    values: dict[Any, Any] = {}
    if "name" in changes:
        values[User.name] = changes["name"]
    if "timezone" in changes:
        values[User.timezone] = changes["timezone"]
    if "preferences" in changes:
        values[User.preferences] = json.dumps(changes["preferences"], separators=(",", ":"))
    if not values:
        return
    values[User.updated_at] = utcnow()
    await User.update(values).where(User.id == user_id).aio_execute()
    await invalidate(state, user_id)


async def mark_email_verified(state: AuthState, user_id: str) -> None:
    await (
        User.update(email_verified=True, updated_at=utcnow())
        .where(User.id == user_id)
        .aio_execute()
    )
    await invalidate(state, user_id)


async def record_audit(
    user_id: str | uuid.UUID,
    action: str,
    old: str | None,
    new: str | None,
    *,
    actor_id: str | None,
    source: str,
) -> None:
    await AuditEntry.aio_create(
        user_id=user_id,
        actor_id=actor_id,
        action=action,
        old_value=old,
        new_value=new,
        source=source,
    )


async def set_role(
    state: AuthState, user_id: str, role: str, *, actor_id: str | None, source: str
) -> User:
    user = await get_user(user_id)
    if user.role != role:
        async with transaction():
            await (
                User.update(role=role, updated_at=utcnow()).where(User.id == user.id).aio_execute()
            )
            await record_audit(
                user.id, "role.changed", user.role, role, actor_id=actor_id, source=source
            )
        await invalidate(state, user.id)
    return await get_user(user.id)


async def set_active(
    state: AuthState, user_id: str, active: bool, *, actor_id: str | None, source: str
) -> User:
    user = await get_user(user_id)
    if user.is_active != active:
        async with transaction():
            await (
                User.update(
                    is_active=active, token_version=User.token_version + 1, updated_at=utcnow()
                )
                .where(User.id == user.id)
                .aio_execute()
            )
            if not active:
                await sessions.revoke_all(user.id, "deactivated")
            await record_audit(
                user.id,
                "status.changed",
                _active(user.is_active),
                _active(active),
                actor_id=actor_id,
                source=source,
            )
        await invalidate(state, user.id)
    return await get_user(user.id)


def _active(value: bool) -> str:
    return "active" if value else "inactive"


def user_json(record: UserRecord) -> dict[str, Any]:
    """The user as ``GET /me`` returns it (built once per loaded record)."""
    return dict(record.me)


def admin_user_json(user: User) -> dict[str, Any]:
    """A user as the admin API shows it (adds status fields)."""
    return {
        "id": str(user.id),
        "email": user.email,
        "name": user.name,
        "role": user.role,
        "tier": user.tier,
        "tier_period_end": rfc3339(user.tier_period_end),
        "timezone": user.timezone,
        "email_verified": user.email_verified,
        "is_active": user.is_active,
        "has_password": user.password_hash is not None,
        "created_at": rfc3339(user.created_at),
        "updated_at": rfc3339(user.updated_at),
    }


async def delete_account(state: AuthState, user_id: str) -> None:
    """Delete the user and, through ``delete_user_data``, every plugin's data for them."""
    from maigie_core.auth.models import AuthSession, RefreshToken
    from maigie_core.tiers.counters import delete_usage

    user = await get_user(user_id)
    async with transaction():
        await state.runtime.plugins.call("delete_user_data", user_id=str(user.id))
        await RefreshToken.delete().where(RefreshToken.user_id == user.id).aio_execute()
        await AuthSession.delete().where(AuthSession.user_id == user.id).aio_execute()
        await OAuthAccount.delete().where(OAuthAccount.user_id == user.id).aio_execute()
        await MailRecord.delete().where(MailRecord.to_address == user.email).aio_execute()
        await delete_usage(state.runtime, str(user.id))
        await record_audit(
            user.id, "account.deleted", None, None, actor_id=str(user.id), source="self"
        )
        await User.delete().where(User.id == user.id).aio_execute()
    await invalidate(state, user.id)


async def export_account(state: AuthState, user: User) -> dict[str, Any]:
    """The user's data from the core and every plugin (``export_user_data``)."""
    from maigie_core.auth.models import AuthSession
    from maigie_core.tiers.limits import usage_summary

    record = await state.loader.load(str(user.id))
    assert record is not None
    sessions_rows = (
        await AuthSession.select()
        .where(AuthSession.user_id == user.id)
        .order_by(AuthSession.created_at)
        .aio_execute()
    )
    links = await OAuthAccount.select().where(OAuthAccount.user_id == user.id).aio_execute()
    audit = (
        await AuditEntry.select()
        .where(AuditEntry.user_id == user.id)
        .order_by(AuditEntry.created_at)
        .aio_execute()
    )
    plugin_data: dict[str, Any] = {}
    for name, data in await state.runtime.plugins.call("export_user_data", user_id=str(user.id)):
        plugin_data[name] = data
    return {
        "account": user_json(record),
        "sessions": [
            {
                "id": str(s.id),
                "created_at": rfc3339(s.created_at),
                "last_used_at": rfc3339(s.last_used_at),
                "revoked_at": rfc3339(s.revoked_at),
            }
            for s in sessions_rows
        ],
        "oauth_accounts": [
            {"provider": link.provider, "email": link.email, "created_at": rfc3339(link.created_at)}
            for link in links
        ],
        "subscription": await usage_summary(record.principal),
        "audit_log": [
            {
                "action": a.action,
                "old_value": a.old_value,
                "new_value": a.new_value,
                "source": a.source,
                "created_at": rfc3339(a.created_at),
            }
            for a in audit
        ],
        "plugins": plugin_data,
    }
