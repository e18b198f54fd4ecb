"""Access and refresh JWTs (joserfc, HS256) and signed single-use links (itsdangerous).

Access tokens carry ``sub`` (user id), ``typ="access"``, ``iat``, ``exp``, ``jti``,
``sid`` (the refresh family / session) and ``ver`` (the user's ``token_version``: a
password change kills every access token issued before it). Refresh tokens carry
``typ="refresh"`` and are only valid while their row is unspent; neither kind is ever
accepted as the other. Only HS256 is accepted: ``alg=none`` and every other algorithm
are refused before any claim is read.
"""

from __future__ import annotations

import hashlib
import hmac
import time
import uuid
from dataclasses import dataclass
from typing import Any

from itsdangerous import BadData, URLSafeTimedSerializer
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import OctKey
from joserfc.jwt import JWTClaimsRegistry

from maigie_core.errors import BadRequest, Unauthorized

ALGORITHM = "HS256"
_ALGORITHMS = [ALGORITHM]
_HEADER = {"alg": ALGORITHM, "typ": "JWT"}
_VERIFIED_CACHE_SIZE = 4096


class InvalidToken(BadRequest):
    """A signed link token that is malformed, tampered with, expired or already used."""

    code, message = "INVALID_TOKEN", "Invalid or expired token"


@dataclass(frozen=True, slots=True)
class AccessClaims:
    """What a verified access token says."""

    user_id: str
    session_id: str
    version: int
    issued_at: int
    expires_at: int


@dataclass(frozen=True, slots=True)
class RefreshClaims:
    user_id: str
    session_id: str
    token_id: str


def derive_key(secret: str, purpose: str) -> bytes:
    """A 256-bit key for one purpose, derived from ``SECRET_KEY``."""
    return hmac.new(secret.encode(), f"maigie.{purpose}".encode(), hashlib.sha256).digest()


class JWTCodec:
    """Issues and verifies the app's JWTs; verified access tokens are remembered briefly."""

    def __init__(self, secret: str, access_ttl_seconds: int, refresh_ttl_seconds: int) -> None:
        self.key = OctKey.import_key(derive_key(secret, "jwt"))
        self.access_ttl = access_ttl_seconds
        self.refresh_ttl = refresh_ttl_seconds
        self._access_claims = JWTClaimsRegistry(
            exp={"essential": True},
            iat={"essential": True},
            sub={"essential": True},
            jti={"essential": True},
            typ={"essential": True, "value": "access"},
        )
        self._refresh_claims = JWTClaimsRegistry(
            exp={"essential": True},
            sub={"essential": True},
            jti={"essential": True},
            typ={"essential": True, "value": "refresh"},
        )
        # token string -> claims: the same token is presented on every request of a client,
        # so its signature is checked once; expiry is still checked on every use.
        self._verified: dict[str, AccessClaims] = {}

    def issue_access(self, user_id: str, session_id: str, version: int) -> str:
        now = int(time.time())
        claims = {
            "sub": user_id,
            "typ": "access",
            "iat": now,
            "exp": now + self.access_ttl,
            "jti": uuid.uuid4().hex,
            "sid": session_id,
            "ver": version,
        }
        return jwt.encode(_HEADER, claims, self.key, algorithms=_ALGORITHMS)

    def issue_refresh(self, user_id: str, session_id: str, token_id: str, expires_at: int) -> str:
        claims = {
            "sub": user_id,
            "typ": "refresh",
            "iat": int(time.time()),
            "exp": expires_at,
            "jti": token_id,
            "sid": session_id,
        }
        return jwt.encode(_HEADER, claims, self.key, algorithms=_ALGORITHMS)

    def _decode(self, token: str, registry: JWTClaimsRegistry) -> dict[str, Any]:
        try:
            decoded = jwt.decode(token, self.key, algorithms=_ALGORITHMS)
            if decoded.header.get("alg") != ALGORITHM:
                raise Unauthorized("Invalid token")
            registry.validate(decoded.claims)
        except (JoseError, ValueError, TypeError) as exc:
            expired = type(exc).__name__ == "ExpiredTokenError"
            raise Unauthorized("Token expired" if expired else "Invalid token") from None
        return decoded.claims

    def verify_access(self, token: str) -> AccessClaims:
        """The claims of a valid access token, else :class:`Unauthorized`."""
        claims = self._verified.get(token)
        if claims is not None:
            if claims.expires_at > time.time():
                return claims
            del self._verified[token]
            raise Unauthorized("Token expired")
        raw = self._decode(token, self._access_claims)
        try:
            claims = AccessClaims(
                str(raw["sub"]),
                str(raw["sid"]),
                int(raw["ver"]),
                int(raw["iat"]),
                int(raw["exp"]),
            )
            uuid.UUID(claims.user_id)
        except (KeyError, ValueError, TypeError):
            raise Unauthorized("Invalid token") from None
        if len(self._verified) >= _VERIFIED_CACHE_SIZE:
            self._verified.pop(next(iter(self._verified)))
        self._verified[token] = claims
        return claims

    def verify_refresh(self, token: str) -> RefreshClaims:
        raw = self._decode(token, self._refresh_claims)
        try:
            claims = RefreshClaims(str(raw["sub"]), str(raw["sid"]), str(raw["jti"]))
            for value in (claims.user_id, claims.session_id, claims.token_id):
                uuid.UUID(value)
        except (KeyError, ValueError, TypeError):
            raise Unauthorized("Invalid refresh token") from None
        return claims


class LinkSigner:
    """itsdangerous tokens for mailed links: signed, expiring, one salt per purpose."""

    def __init__(self, secret: str) -> None:
        self.secret = secret
        self._serializers: dict[str, URLSafeTimedSerializer] = {}

    def _serializer(self, purpose: str) -> URLSafeTimedSerializer:
        serializer = self._serializers.get(purpose)
        if serializer is None:
            serializer = URLSafeTimedSerializer(self.secret, salt=f"maigie.{purpose}")
            self._serializers[purpose] = serializer
        return serializer

    def sign(self, purpose: str, payload: dict[str, Any]) -> str:
        return str(self._serializer(purpose).dumps(payload))

    def load(self, purpose: str, token: str, max_age_seconds: int) -> dict[str, Any]:
        """The payload of a valid token for ``purpose``, else :class:`InvalidToken`."""
        try:
            payload = self._serializer(purpose).loads(token, max_age=max_age_seconds)
        except BadData:
            raise InvalidToken() from None
        if not isinstance(payload, dict):
            raise InvalidToken()
        return payload
