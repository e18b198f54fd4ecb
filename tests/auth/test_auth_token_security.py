"""Forged, expired and misused tokens are refused with the 401 envelope."""

from __future__ import annotations

import base64
import json
import time
import uuid

from auth_support import Api, assert_error, bearer
from joserfc import jwt
from joserfc.jwk import OctKey

from maigie_core.auth.tokens import derive_key


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def _claims_of(token: str) -> dict:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def _sign(claims: dict, secret: str = "change-me", alg: str = "HS256") -> str:
    key = OctKey.import_key(derive_key(secret, "jwt"))
    return jwt.encode({"alg": alg, "typ": "JWT"}, claims, key, algorithms=[alg])


async def _me(api: Api, token: str):
    return await api.client.get("/api/v1/auth/me", headers=bearer(token))


async def test_alg_none_token_is_refused(api: Api) -> None:
    claims = _claims_of((await api.register())["access_token"])
    unsigned = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}."
    await assert_error(await _me(api, unsigned), 401, "UNAUTHORIZED")


async def test_other_algorithm_with_the_right_key_is_refused(api: Api) -> None:
    claims = _claims_of((await api.register())["access_token"])
    await assert_error(await _me(api, _sign(claims, alg="HS512")), 401, "UNAUTHORIZED")


async def test_token_signed_with_another_key_is_refused(api: Api) -> None:
    claims = _claims_of((await api.register())["access_token"])
    await assert_error(await _me(api, _sign(claims, secret="another-secret")), 401, "UNAUTHORIZED")


async def test_correctly_signed_token_is_accepted(api: Api) -> None:
    claims = _claims_of((await api.register())["access_token"])
    claims["jti"] = uuid.uuid4().hex
    assert (await _me(api, _sign(claims))).status_code == 200


async def test_expired_token_is_refused(api: Api) -> None:
    claims = _claims_of((await api.register())["access_token"])
    claims.update(iat=int(time.time()) - 7200, exp=int(time.time()) - 3600)
    body = await assert_error(await _me(api, _sign(claims)), 401, "UNAUTHORIZED")
    assert "expired" in body["message"].lower()


async def test_tampered_payload_is_refused(api: Api) -> None:
    token = (await api.register())["access_token"]
    header, _payload, signature = token.split(".")
    claims = _claims_of(token)
    claims["sub"] = str(uuid.uuid4())
    await assert_error(await _me(api, f"{header}.{_b64(claims)}.{signature}"), 401, "UNAUTHORIZED")


async def test_refresh_token_is_never_an_access_token(api: Api) -> None:
    tokens = await api.register()
    await assert_error(await _me(api, tokens["refresh_token"]), 401, "UNAUTHORIZED")


async def test_access_token_is_never_a_refresh_token(api: Api) -> None:
    tokens = await api.register()
    response = await api.client.post(
        "/api/v1/auth/refresh", json={"refresh_token": tokens["access_token"]}
    )
    await assert_error(response, 401, "UNAUTHORIZED")


async def test_token_without_type_or_subject_is_refused(api: Api) -> None:
    claims = _claims_of((await api.register())["access_token"])
    for missing in ("typ", "sub", "exp", "jti"):
        broken = {k: v for k, v in claims.items() if k != missing}
        await assert_error(await _me(api, _sign(broken)), 401, "UNAUTHORIZED")


async def test_token_of_a_user_that_does_not_exist_is_refused(api: Api) -> None:
    claims = _claims_of((await api.register())["access_token"])
    claims["sub"] = str(uuid.uuid4())
    await assert_error(await _me(api, _sign(claims)), 401, "UNAUTHORIZED")


async def test_garbage_tokens_are_refused(api: Api) -> None:
    for token in ("x", "a.b.c", "....", "é" * 10, "Bearer", "eyJ" * 300):
        response = await _me(api, token)
        await assert_error(response, 401, "UNAUTHORIZED")


async def test_forged_refresh_token_is_refused(api: Api) -> None:
    tokens = await api.register()
    claims = _claims_of(tokens["refresh_token"])
    claims["jti"] = str(uuid.uuid4())
    response = await api.client.post(
        "/api/v1/auth/refresh", json={"refresh_token": _sign(claims, secret="wrong")}
    )
    await assert_error(response, 401, "UNAUTHORIZED")
    unknown = await api.client.post("/api/v1/auth/refresh", json={"refresh_token": _sign(claims)})
    await assert_error(unknown, 401, "UNAUTHORIZED")
