"""Token attacks beyond tests/auth/test_auth_token_security.py (which this extends).

Already covered there: alg none, another HMAC algorithm, another key, expiry, a changed
payload, refresh/access confusion, missing claims, garbage. Here: algorithm confusion
with RSA (an RS256 header over an HMAC of the server's key; a token signed by the
attacker's own RSA key, embedded or referenced in the header), claims moved to another
real user, and a refresh token spent twice at the same instant.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
from typing import Any

from auth_support import bearer
from hostile_support import API, Caller
from joserfc import jwt
from joserfc.jwk import RSAKey

from maigie_core.auth.tokens import derive_key
from maigie_core.runtime import runtime


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _claims(token: str) -> dict[str, Any]:
    part = token.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))))


def _hmac_token(header: dict[str, Any], claims: dict[str, Any], key: bytes) -> str:
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
    signature = hmac.new(key, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(signature)}"


async def _refused(caller: Caller, token: str) -> None:
    response = await caller.client.get(f"{API}/auth/me", headers=bearer(token))
    body = await response.get_json()
    assert response.status_code == 401, (token[:60], body)
    assert body["code"] == "UNAUTHORIZED"


async def test_rsa_algorithm_confusion_is_refused(full_app: Any, alice: Caller) -> None:
    claims = _claims(alice.tokens["access_token"])
    server_key = derive_key(runtime(full_app).settings.SECRET_KEY, "jwt")
    # The server's HMAC key used as if it were an RSA public key (the classic confusion).
    for alg in ("RS256", "ES256", "PS256", "EdDSA", "none", "HS256 ", "hs256", ""):
        await _refused(alice, _hmac_token({"alg": alg, "typ": "JWT"}, claims, server_key))
    # Signed with the attacker's own RSA key, offered inline (jwk) or by reference (jku/kid).
    own = RSAKey.generate_key(2048)
    public = own.as_dict(private=False)
    for extra in ({}, {"jwk": public}, {"jku": "https://evil.example/jwks.json"}, {"kid": "x"}):
        forged = jwt.encode(
            {"alg": "RS256", "typ": "JWT", **extra}, claims, own, algorithms=["RS256"]
        )
        await _refused(alice, forged)
    # A correctly signed token with extra header fields is still only what it says.
    for header in (
        {"alg": "HS256", "typ": "JWT", "crit": ["exp"]},
        {"alg": "HS256", "typ": "JWS", "b64": False},
    ):
        token = _hmac_token(header, claims, server_key)
        response = await alice.client.get(f"{API}/auth/me", headers=bearer(token))
        assert response.status_code in (200, 401)
        if response.status_code == 200:
            assert (await response.get_json())["id"] == alice.id


async def test_claims_moved_to_another_user_are_refused(
    full_app: Any, alice: Caller, bob: Caller
) -> None:
    claims = _claims(alice.tokens["access_token"])
    header, _, signature = alice.tokens["access_token"].split(".")
    for change in (
        {"sub": bob.id},
        {"sub": bob.id.upper()},
        {"role": "admin"},
        {"tier": "premium"},
    ):
        payload = _b64(json.dumps({**claims, **change}).encode())
        await _refused(alice, f"{header}.{payload}.{signature}")
    # Bob's signature on Alice's claims, Alice's signature on Bob's.
    bob_header, bob_payload, bob_signature = bob.tokens["access_token"].split(".")
    await _refused(alice, f"{header}.{_b64(json.dumps(claims).encode())}.{bob_signature}")
    await _refused(alice, f"{bob_header}.{bob_payload}.{signature}")


async def test_a_refresh_token_spent_twice_at_once_yields_one_pair_at_most(
    full_app: Any, alice: Caller
) -> None:
    token = alice.tokens["refresh_token"]

    async def refresh() -> int:
        client = full_app.test_client()
        response = await client.post(f"{API}/auth/refresh", json={"refresh_token": token})
        return response.status_code

    statuses = await asyncio.gather(*(refresh() for _ in range(8)))
    assert all(s in (200, 401) for s in statuses), statuses
    assert statuses.count(200) <= 1, statuses
    # Whatever won, the family is now spent or revoked for the replayed token.
    again = await full_app.test_client().post(f"{API}/auth/refresh", json={"refresh_token": token})
    assert again.status_code == 401
