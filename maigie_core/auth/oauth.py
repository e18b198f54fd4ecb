"""Sign-in with Google and GitHub through authlib's httpx OAuth 2 client.

``/authorize`` stores a single-use nonce with its PKCE verifier server-side and sends
the browser to the provider with a signed ``state`` naming it (the verifier never
leaves the server). ``/callback`` checks the signature, spends the nonce, exchanges the
code (with the verifier for Google), reads the identity and links it: an existing link
wins; otherwise a *verified* provider address is matched to an account (whose unverified
password, if any, is dropped: the address owner takes over) or a new account is made.
Endpoints are settings so tests (and GitHub Enterprise) can point elsewhere.
"""

from __future__ import annotations

import secrets
import ssl
import warnings
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache
from typing import Any

import certifi
import httpx

from maigie_core.auth import accounts, sessions
from maigie_core.auth.models import OAuthAccount, OAuthState, User
from maigie_core.auth.state import AuthState
from maigie_core.auth.tokens import InvalidToken
from maigie_core.db import transaction, utcnow
from maigie_core.errors import NotFound, ServiceUnavailable, Unauthorized
from maigie_core.settings import Settings

with warnings.catch_warnings():  # authlib 1.9 announces httpx2 at import
    import authlib.deprecate  # installs an "always" filter: ours must come after it

    warnings.simplefilter("ignore", authlib.deprecate.AuthlibDeprecationWarning)
    from authlib.common.errors import AuthlibBaseError
    from authlib.integrations.httpx_client import AsyncOAuth2Client

STATE_TTL_SECONDS = 600
HTTP_TIMEOUT = 10.0


@dataclass(frozen=True)
class Provider:
    name: str
    client_id: str
    client_secret: str
    authorize_url: str
    token_url: str
    userinfo_url: str
    emails_url: str | None
    scope: str
    pkce: bool


@dataclass(frozen=True)
class Identity:
    subject: str
    email: str | None
    email_verified: bool
    name: str


def configured_providers(settings: Settings) -> dict[str, Provider]:
    """The providers with a client id and secret, by name."""
    providers = {}
    if settings.OAUTH_GOOGLE_CLIENT_ID and settings.OAUTH_GOOGLE_CLIENT_SECRET:
        providers["google"] = Provider(
            "google",
            settings.OAUTH_GOOGLE_CLIENT_ID,
            settings.OAUTH_GOOGLE_CLIENT_SECRET,
            settings.OAUTH_GOOGLE_AUTHORIZE_URL,
            settings.OAUTH_GOOGLE_TOKEN_URL,
            settings.OAUTH_GOOGLE_USERINFO_URL,
            None,
            "openid email profile",
            pkce=True,
        )
    if settings.OAUTH_GITHUB_CLIENT_ID and settings.OAUTH_GITHUB_CLIENT_SECRET:
        providers["github"] = Provider(
            "github",
            settings.OAUTH_GITHUB_CLIENT_ID,
            settings.OAUTH_GITHUB_CLIENT_SECRET,
            settings.OAUTH_GITHUB_AUTHORIZE_URL,
            settings.OAUTH_GITHUB_TOKEN_URL,
            settings.OAUTH_GITHUB_USER_URL,
            settings.OAUTH_GITHUB_EMAILS_URL,
            "read:user user:email",
            pkce=False,
        )
    return providers


def redirect_uri(settings: Settings, provider: str) -> str:
    if settings.OAUTH_REDIRECT_URI:
        return settings.OAUTH_REDIRECT_URI.replace("{provider}", provider)
    base = settings.PUBLIC_BASE_URL.rstrip("/")
    return f"{base}/api/v1/auth/oauth/{provider}/callback"


def get_provider(state: AuthState, name: str) -> Provider:
    provider = configured_providers(state.runtime.settings).get(name)
    if provider is None:
        raise NotFound(f"OAuth provider {name!r} is not configured")
    return provider


@lru_cache(maxsize=1)
def _tls() -> ssl.SSLContext:
    """One TLS context for every provider call (building one loads the CA bundle: slow)."""
    return ssl.create_default_context(cafile=certifi.where())


def _client(state: AuthState, provider: Provider) -> AsyncOAuth2Client:
    return AsyncOAuth2Client(
        provider.client_id,
        provider.client_secret,
        scope=provider.scope,
        redirect_uri=redirect_uri(state.runtime.settings, provider.name),
        code_challenge_method="S256" if provider.pkce else None,
        timeout=HTTP_TIMEOUT,
        verify=_tls(),
    )


async def authorization_url(state: AuthState, provider: Provider) -> str:
    """Where to send the browser: the provider's consent page with a signed state."""
    verifier = secrets.token_urlsafe(48)
    pending = await OAuthState.aio_create(
        provider=provider.name,
        code_verifier=verifier,
        expires_at=utcnow() + timedelta(seconds=STATE_TTL_SECONDS),
    )
    signed = state.links.sign("oauth_state", {"n": str(pending.id), "p": provider.name})
    client = _client(state, provider)
    try:
        url, _ = client.create_authorization_url(
            provider.authorize_url,
            state=signed,
            code_verifier=verifier if provider.pkce else None,
        )
    finally:
        await client.aclose()
    return str(url)


async def _spend_state(state: AuthState, provider: Provider, signed: str) -> str:
    payload = state.links.load("oauth_state", signed, STATE_TTL_SECONDS)
    if payload.get("p") != provider.name or not isinstance(payload.get("n"), str):
        raise InvalidToken("Invalid OAuth state")
    try:
        pending = await OAuthState.aio_get_or_none(
            (OAuthState.id == payload["n"]) & (OAuthState.provider == provider.name)
        )
    except ValueError:
        pending = None
    if pending is None or pending.expires_at < utcnow():
        raise InvalidToken("Invalid OAuth state")
    deleted = await OAuthState.delete().where(OAuthState.id == pending.id).aio_execute()
    if not deleted:  # spent concurrently
        raise InvalidToken("Invalid OAuth state")
    return str(pending.code_verifier)


async def _identity(client: AsyncOAuth2Client, provider: Provider) -> Identity:
    response = await client.get(provider.userinfo_url, headers={"Accept": "application/json"})
    response.raise_for_status()
    info: dict[str, Any] = response.json()
    if provider.name == "google":
        return Identity(
            subject=str(info["sub"]),
            email=info.get("email"),
            email_verified=bool(info.get("email_verified")),
            name=str(info.get("name") or ""),
        )
    email, verified = None, False
    if provider.emails_url:
        emails = await client.get(provider.emails_url, headers={"Accept": "application/json"})
        emails.raise_for_status()
        for entry in emails.json():
            if entry.get("primary") and entry.get("verified"):
                email, verified = entry.get("email"), True
    return Identity(
        subject=str(info["id"]),
        email=email,
        email_verified=verified,
        name=str(info.get("name") or info.get("login") or ""),
    )


async def complete(state: AuthState, provider: Provider, code: str, signed: str) -> dict[str, Any]:
    """The callback: spend the state, exchange the code, link or create, return tokens."""
    verifier = await _spend_state(state, provider, signed)
    client = _client(state, provider)
    try:
        await client.fetch_token(
            provider.token_url,
            code=code,
            code_verifier=verifier if provider.pkce else None,
            headers={"Accept": "application/json"},
        )
        identity = await _identity(client, provider)
    except (AuthlibBaseError, httpx.HTTPStatusError, KeyError, ValueError, TypeError):
        raise Unauthorized("OAuth sign-in failed") from None
    except httpx.HTTPError:
        raise ServiceUnavailable(f"{provider.name} could not be reached") from None
    finally:
        await client.aclose()
    user = await _link(state, provider, identity)
    return await sessions.start_session(state, user)


async def _link(state: AuthState, provider: Provider, identity: Identity) -> User:
    link = await OAuthAccount.aio_get_or_none(
        (OAuthAccount.provider == provider.name) & (OAuthAccount.subject == identity.subject)
    )
    if link is not None:
        user: User | None = await User.aio_get_or_none(User.id == link.user_id)
        if user is None or not user.is_active:
            raise Unauthorized("OAuth sign-in failed")
        return user
    if not identity.email or not identity.email_verified:
        raise Unauthorized(f"{provider.name} did not confirm an email address")
    user = await accounts.find_by_email(identity.email)
    if user is None:
        user = await accounts.create_user(
            state, identity.email, None, name=identity.name[:200], email_verified=True
        )
    elif not user.is_active:
        raise Unauthorized("OAuth sign-in failed")
    elif not user.email_verified:
        # Whoever set the password never proved the address; its owner now has.
        async with transaction():
            await (
                User.update(
                    email_verified=True,
                    password_hash=None,
                    token_version=User.token_version + 1,
                    updated_at=utcnow(),
                )
                .where(User.id == user.id)
                .aio_execute()
            )
            await sessions.revoke_all(user.id, "oauth_takeover")
        await accounts.invalidate(state, user.id)
        user = await accounts.get_user(user.id)
    await OAuthAccount.aio_create(
        provider=provider.name, subject=identity.subject, user_id=user.id, email=identity.email
    )
    return user
