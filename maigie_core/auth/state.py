"""The auth services of one app, built by ``install_auth`` and kept in ``app.extensions``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from quart import Quart, current_app

from maigie_core.auth.invalidation import UserInvalidation
from maigie_core.auth.mailer import LogMailer, Mailer
from maigie_core.auth.passwords import PasswordHasher
from maigie_core.auth.tokens import JWTCodec, LinkSigner
from maigie_core.auth.user_cache import UserCache, UserLoader
from maigie_core.ratelimit import RateLimiter
from maigie_core.runtime import Runtime

EXTENSION = "maigie.auth"
LOGIN_WINDOW_SECONDS = 60


@dataclass
class AuthState:
    runtime: Runtime
    jwt: JWTCodec
    links: LinkSigner
    passwords: PasswordHasher
    loader: UserLoader
    cache: UserCache
    invalidation: UserInvalidation
    login_limiter: RateLimiter
    mailer: Mailer
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def build(cls, rt: Runtime) -> AuthState:
        s = rt.settings
        cache = UserCache(s.AUTH_CACHE_SECONDS, s.AUTH_CACHE_SIZE)
        return cls(
            runtime=rt,
            jwt=JWTCodec(
                s.SECRET_KEY,
                s.ACCESS_TOKEN_EXPIRE_MINUTES * 60,
                s.REFRESH_TOKEN_EXPIRE_DAYS * 86400,
            ),
            links=LinkSigner(s.SECRET_KEY),
            passwords=PasswordHasher(s),
            loader=UserLoader(rt.db),
            cache=cache,
            invalidation=UserInvalidation(cache, rt.redis, s.REDIS_KEY_PREFIX),
            login_limiter=RateLimiter(
                "login",
                s.LOGIN_RATE_PER_MINUTE,
                LOGIN_WINDOW_SECONDS,
                rt.redis,
                s.REDIS_KEY_PREFIX,
            ),
            mailer=LogMailer(s.MAIL_FROM),
        )


def auth_state(app: Quart | None = None) -> AuthState:
    """The auth services of ``app`` (default: the current app)."""
    target = app if app is not None else current_app
    state: AuthState = target.extensions[EXTENSION]
    return state
