"""``/api/v1/auth``: register, login, refresh, logout, me, passwords, e-mail verification."""

from __future__ import annotations

import json
import logging
import time
import uuid
from datetime import timedelta
from typing import Any

import peewee
from quart import Blueprint, Response
from quart_schema import document_response, security_scheme
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from maigie_core.auth import accounts, sessions
from maigie_core.auth.guards import current_claims, current_record, current_user, require_user
from maigie_core.auth.mailer import MailMessage
from maigie_core.auth.models import UsedToken, User
from maigie_core.auth.schemas import (
    Accepted,
    AccountExport,
    DeleteMeIn,
    EmailIn,
    LoginIn,
    MeOut,
    MePatch,
    PasswordChangeIn,
    PasswordResetIn,
    RefreshIn,
    RegisterIn,
    TokenIn,
    TokenPair,
    password_problems,
)
from maigie_core.auth.state import AuthState, auth_state
from maigie_core.auth.tasks import queue_mail
from maigie_core.auth.tokens import InvalidToken
from maigie_core.auth.user_cache import preferences_of
from maigie_core.bodies import validate_body
from maigie_core.db import transaction, utcnow
from maigie_core.errors import Forbidden, RateLimited, Unauthorized, ValidationFailed
from maigie_core.events import emit
from maigie_core.ratelimit import client_address

log = logging.getLogger("maigie.auth")
auth_blueprint = Blueprint("auth", __name__, url_prefix="/api/v1/auth")

#: Without a password, deleting the account needs a login at most this old.
RECENT_LOGIN_SECONDS = 600
_NO_CONTENT = ("", 204)


def _check_password_policy(state: AuthState, password: str, field: str = "password") -> None:
    s = state.runtime.settings
    problems = password_problems(password, s.PASSWORD_MIN_LENGTH, s.PASSWORD_MAX_LENGTH)
    if problems:
        problems[0]["loc"] = [field]
        raise ValidationFailed(detail=problems)


def _link(state: AuthState, path: str, token: str) -> str:
    return f"{state.runtime.settings.PUBLIC_BASE_URL.rstrip('/')}/{path}?token={token}"


async def send_verification(state: AuthState, user: User) -> None:
    token = state.links.sign(
        "verify_email", {"uid": str(user.id), "email": user.email, "jti": uuid.uuid4().hex}
    )
    await queue_mail(
        MailMessage(
            to=user.email,
            subject="Confirm your e-mail address",
            body=f"Confirm your address for Maigie: {_link(state, 'verify-email', token)}\n"
            f"Token: {token}\n",
            purpose="verify_email",
        )
    )


async def _spend(purpose: str, jti: Any, max_age: int) -> None:
    """Mark a signed token as used; a second use is refused."""
    try:
        token_id = uuid.UUID(str(jti))
        await UsedToken.aio_create(
            id=token_id, purpose=purpose, expires_at=utcnow() + timedelta(seconds=max_age)
        )
    except (ValueError, peewee.IntegrityError):
        raise InvalidToken() from None


# -- tokens ---------------------------------------------------------------------------


@auth_blueprint.post("/register")
@security_scheme([])
@validate_body(RegisterIn)
@document_response(TokenPair, 201)
async def register(data: RegisterIn) -> tuple[dict[str, Any], int]:
    """Create an account and sign in: 201 with a token pair; 409 if the e-mail is taken."""
    state = auth_state()
    _check_password_policy(state, data.password)
    user = await accounts.create_user(state, data.email, data.password, name=data.name or "")
    try:
        await send_verification(state, user)
    except (RedisConnectionError, RedisTimeoutError) as exc:  # the account exists: go on
        log.warning("verification mail for a new account not queued (Redis down): %s", exc)
    return await sessions.start_session(state, user), 201


@auth_blueprint.post("/login")
@security_scheme([])
@validate_body(LoginIn)
@document_response(TokenPair)
async def login(data: LoginIn) -> dict[str, Any]:
    """Exchange e-mail and password for tokens; one 401 for every bad credential."""
    state = auth_state()
    address = client_address(state.runtime.settings.TRUSTED_PROXIES)
    keys = (f"ip:{address}", f"account:{accounts.normalise_email(data.email)}")
    for key in keys:
        retry_after = await state.login_limiter.consume(key)
        if retry_after is not None:
            raise RateLimited(retry_after, "Too many login attempts, try again later")
    user = await accounts.check_password(state, data.email, data.password)
    if user is None:
        raise Unauthorized("Invalid email or password")
    for key in keys:  # only failures count
        await state.login_limiter.refund(key)
    return await sessions.start_session(state, user)


@auth_blueprint.post("/refresh")
@security_scheme([])
@validate_body(RefreshIn)
@document_response(TokenPair)
async def refresh(data: RefreshIn) -> dict[str, Any]:
    """Rotate: the refresh token is spent and a new pair returned (reuse revokes the family)."""
    return await sessions.rotate(auth_state(), data.refresh_token)


@auth_blueprint.post("/logout")
@security_scheme([])
@validate_body(RefreshIn)
async def logout(data: RefreshIn) -> tuple[str, int]:
    """End the session (refresh-token family) of ``refresh_token``: 204."""
    claims = await sessions.end_session(auth_state(), data.refresh_token)
    await emit("auth.session_ended", claims.user_id, {"id": claims.session_id})
    return _NO_CONTENT


# -- me ---------------------------------------------------------------------------------


@auth_blueprint.get("/me")
@require_user
@document_response(MeOut)
async def me() -> dict[str, Any]:
    """The caller's account."""
    return accounts.user_json(current_record())


@auth_blueprint.patch("/me")
@require_user
@validate_body(MePatch)
@document_response(MeOut)
async def patch_me(data: MePatch) -> dict[str, Any]:
    """Change name, time zone (IANA) or preferences; fields left out are kept."""
    state = auth_state()
    record = current_record()
    changes: dict[str, Any] = {}
    given = data.model_fields_set
    if "name" in given:
        changes["name"] = (data.name or "").strip()
    if "timezone" in given:
        if data.timezone is None:
            raise ValidationFailed(
                detail=[{"loc": ["timezone"], "msg": "must not be null", "type": "value_error"}]
            )
        changes["timezone"] = data.timezone
    if "preferences" in given and data.preferences is not None:
        merged = preferences_of(record.preferences_json)
        patch = data.preferences.model_dump(mode="json", exclude_unset=True)
        merged.update({k: v for k, v in patch.items() if v is not None or k == "academic_level"})
        changes["preferences"] = merged
    await accounts.update_profile(state, record.id, changes)
    fresh = await state.loader.load(record.id)
    assert fresh is not None
    return accounts.user_json(fresh)


@auth_blueprint.delete("/me")
@require_user
@validate_body(DeleteMeIn)
async def delete_me(data: DeleteMeIn) -> tuple[str, int]:
    """Delete the account and every plugin's data for it; needs the password again."""
    state = auth_state()
    record = current_record()
    if record.has_password:
        user = await accounts.get_user(record.id)
        ok, _ = await state.passwords.verify(data.password or "", user.password_hash)
        if not ok:
            raise Forbidden("Password is incorrect")
    elif time.time() - current_claims().issued_at > RECENT_LOGIN_SECONDS:
        raise Forbidden("Sign in again to delete your account")
    await accounts.delete_account(state, record.id)
    await emit("account.deleted", record.id, {"id": record.id})
    return _NO_CONTENT


@auth_blueprint.get("/me/export")
@require_user
@document_response(AccountExport)
async def export_me() -> Response:
    """Everything stored about the caller, from the core and every plugin (JSON)."""
    state = auth_state()
    user = await accounts.get_user(current_user().id)
    data = await accounts.export_account(state, user)
    body = json.dumps(data, default=_json_default, indent=2)
    return Response(
        body,
        content_type="application/json",
        headers={
            "Content-Disposition": 'attachment; filename="maigie-export.json"',
        },
    )


def _json_default(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


# -- passwords ---------------------------------------------------------------------------


@auth_blueprint.post("/password/change")
@require_user
@validate_body(PasswordChangeIn)
@document_response(TokenPair)
async def change_password(data: PasswordChangeIn) -> dict[str, Any]:
    """New password; every session ends, a fresh token pair is returned for this one."""
    state = auth_state()
    _check_password_policy(state, data.new_password, "new_password")
    user = await accounts.get_user(current_user().id)
    if user.password_hash is not None:
        ok, _ = await state.passwords.verify(data.current_password or "", user.password_hash)
        if not ok:
            raise Forbidden("Current password is incorrect")
    user = await accounts.set_password(state, user, data.new_password, "password_change")
    return await sessions.start_session(state, user)


@auth_blueprint.post("/password/forgot")
@security_scheme([])
@validate_body(EmailIn)
@document_response(Accepted, 202)
async def forgot_password(data: EmailIn) -> tuple[dict[str, str], int]:
    """Mail a reset link if the account exists; the answer is the same either way."""
    state = auth_state()
    user = await accounts.find_by_email(data.email)
    if user is not None and user.is_active:
        token = state.links.sign(
            "password_reset",
            {
                "uid": str(user.id),
                "ver": user.token_version,
                "jti": uuid.uuid4().hex,
            },
        )
        minutes = state.runtime.settings.PASSWORD_RESET_EXPIRE_MINUTES
        await queue_mail(
            MailMessage(
                to=user.email,
                subject="Reset your password",
                body=f"Reset your Maigie password within {minutes} minutes: "
                f"{_link(state, 'reset-password', token)}\nToken: {token}\n",
                purpose="password_reset",
            )
        )
    return {"status": "accepted"}, 202


@auth_blueprint.post("/password/reset")
@security_scheme([])
@validate_body(PasswordResetIn)
async def reset_password(data: PasswordResetIn) -> tuple[str, int]:
    """Set a new password with a mailed token (single use); every session ends."""
    state = auth_state()
    max_age = state.runtime.settings.PASSWORD_RESET_EXPIRE_MINUTES * 60
    payload = state.links.load("password_reset", data.token, max_age)
    _check_password_policy(state, data.new_password, "new_password")
    user = await User.aio_get_or_none(User.id == _uuid(payload.get("uid")))
    if user is None or not user.is_active or payload.get("ver") != user.token_version:
        raise InvalidToken()
    await _spend("password_reset", payload.get("jti"), max_age)
    await accounts.set_password(state, user, data.new_password, "password_reset")
    return _NO_CONTENT


def _uuid(value: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


# -- e-mail verification -------------------------------------------------------------------


@auth_blueprint.post("/verify-email")
@security_scheme([])
@validate_body(TokenIn)
@document_response(Accepted)
async def verify_email(data: TokenIn) -> dict[str, str]:
    """Confirm the address with the mailed token (single use, expiring)."""
    state = auth_state()
    max_age = state.runtime.settings.EMAIL_VERIFY_EXPIRE_HOURS * 3600
    payload = state.links.load("verify_email", data.token, max_age)
    user = await User.aio_get_or_none(User.id == _uuid(payload.get("uid")))
    if user is None or user.email != payload.get("email"):
        raise InvalidToken()
    async with transaction():
        await _spend("verify_email", payload.get("jti"), max_age)
    await accounts.mark_email_verified(state, str(user.id))
    return {"status": "verified"}


@auth_blueprint.post("/verify-email/send")
@require_user
@document_response(Accepted, 202)
async def resend_verification() -> tuple[dict[str, str], int]:
    """Mail a new verification link to the caller (if not verified yet)."""
    state = auth_state()
    user = await accounts.get_user(current_user().id)
    if not user.email_verified:
        await send_verification(state, user)
    return {"status": "accepted"}, 202
