"""OAuth with Google and GitHub against a local fake provider (real HTTP, no mocks)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from auth_support import Api, assert_error, bearer
from fake_oauth_provider import FakeProvider, FakeProviderServer, FakeUser


@pytest.fixture
def provider() -> Iterator[FakeProvider]:
    with FakeProviderServer() as fake:
        yield fake


@pytest.fixture
async def oauth_app(make_app, provider: FakeProvider):
    app = make_app(PUBLIC_BASE_URL="http://testserver", **provider.settings())
    async with app.test_app():
        yield app


async def _consent(api: Api, name: str) -> tuple[str, dict[str, str]]:
    """Follow authorize → provider → our callback URL; returns (callback path, query)."""
    response = await api.client.get(f"/api/v1/auth/oauth/{name}/authorize")
    assert response.status_code == 302
    location = response.headers["Location"]
    async with httpx.AsyncClient() as browser:
        approved = await browser.get(location)
    assert approved.status_code == 302
    callback = urlsplit(approved.headers["Location"])
    return callback.path, {k: v[0] for k, v in parse_qs(callback.query).items()}


async def _sign_in(api: Api, name: str) -> Any:
    path, query = await _consent(api, name)
    return await api.client.get(path, query_string=query)


async def test_providers_lists_the_configured_ones(oauth_app, make_app) -> None:
    api = Api(oauth_app)
    body = await (await api.client.get("/api/v1/auth/oauth/providers")).get_json()
    assert [p["name"] for p in body["items"]] == ["github", "google"]
    bare = make_app()
    async with bare.test_app():
        body = await (await bare.test_client().get("/api/v1/auth/oauth/providers")).get_json()
        assert body["items"] == []
        response = await bare.test_client().get("/api/v1/auth/oauth/google/authorize")
        await assert_error(response, 404, "RESOURCE_NOT_FOUND")


async def test_google_authorize_redirects_with_signed_state_and_pkce(oauth_app) -> None:
    response = await Api(oauth_app).client.get("/api/v1/auth/oauth/google/authorize")
    assert response.status_code == 302
    query = parse_qs(urlsplit(response.headers["Location"]).query)
    assert query["code_challenge_method"] == ["S256"] and query["code_challenge"]
    assert query["redirect_uri"] == ["http://testserver/api/v1/auth/oauth/google/callback"]
    assert "." in query["state"][0]  # signed


async def test_google_sign_in_creates_a_verified_account(oauth_app, provider) -> None:
    api = Api(oauth_app)
    response = await _sign_in(api, "google")
    assert response.status_code == 200, await response.get_json()
    tokens = await response.get_json()
    me = await api.me(bearer(tokens["access_token"]))
    assert me["email"] == "ada@example.com" and me["email_verified"] is True
    assert me["has_password"] is False
    assert provider.token_requests[-1]["code_verifier"]  # PKCE really used


async def test_github_sign_in_uses_the_primary_verified_email(oauth_app, provider) -> None:
    provider.user = FakeUser("4242", "octo@example.com", name="Octo Cat")
    api = Api(oauth_app)
    response = await _sign_in(api, "github")
    assert response.status_code == 200, await response.get_json()
    me = await api.me(bearer((await response.get_json())["access_token"]))
    assert me["email"] == "octo@example.com" and me["name"] == "Octo Cat"


async def test_second_sign_in_finds_the_same_account(oauth_app) -> None:
    api = Api(oauth_app)
    first = await (await _sign_in(api, "google")).get_json()
    second = await (await _sign_in(api, "google")).get_json()
    assert (await api.me(bearer(first["access_token"])))["id"] == (
        await api.me(bearer(second["access_token"]))
    )["id"]


async def test_verified_provider_email_links_to_the_existing_account(oauth_app) -> None:
    api = Api(oauth_app)
    headers = await api.user("ada@example.com")
    user_id = (await api.me(headers))["id"]
    tokens = await (await _sign_in(api, "google")).get_json()
    assert (await api.me(bearer(tokens["access_token"])))["id"] == user_id


async def test_unverified_provider_email_is_refused(oauth_app, provider) -> None:
    provider.user = FakeUser("77", "eve@example.com", email_verified=False)
    response = await _sign_in(Api(oauth_app), "google")
    await assert_error(response, 401, "UNAUTHORIZED")


async def test_state_is_single_use(oauth_app) -> None:
    api = Api(oauth_app)
    path, query = await _consent(api, "google")
    assert (await api.client.get(path, query_string=query)).status_code == 200
    replay = await api.client.get(path, query_string=query)
    await assert_error(replay, 400, "INVALID_TOKEN")


async def test_tampered_or_foreign_state_is_refused(oauth_app) -> None:
    api = Api(oauth_app)
    path, query = await _consent(api, "google")
    state = query["state"]
    tampered = dict(query, state=state[:10] + ("A" if state[10] != "A" else "B") + state[11:])
    await assert_error(await api.client.get(path, query_string=tampered), 400, "INVALID_TOKEN")
    # a Google state presented to the GitHub callback
    github = path.replace("google", "github")
    await assert_error(await api.client.get(github, query_string=query), 400, "INVALID_TOKEN")


async def test_bad_code_is_401_and_missing_parameters_422(oauth_app) -> None:
    api = Api(oauth_app)
    path, query = await _consent(api, "google")
    response = await api.client.get(path, query_string=dict(query, code="forged"))
    await assert_error(response, 401, "UNAUTHORIZED")
    await assert_error(await api.client.get(path), 422, "VALIDATION_ERROR")
    denied = await api.client.get(path, query_string={"error": "access_denied"})
    await assert_error(denied, 401, "UNAUTHORIZED")


async def test_unknown_provider_is_404(oauth_app) -> None:
    response = await Api(oauth_app).client.get("/api/v1/auth/oauth/myspace/authorize")
    await assert_error(response, 404, "RESOURCE_NOT_FOUND")


async def test_oauth_only_account_is_deleted_with_a_fresh_login(oauth_app) -> None:
    api = Api(oauth_app)
    tokens = await (await _sign_in(api, "google")).get_json()
    response = await api.client.delete(
        "/api/v1/auth/me", headers=bearer(tokens["access_token"]), json={}
    )
    assert response.status_code == 204
    await assert_error(
        await api.client.get("/api/v1/auth/me", headers=bearer(tokens["access_token"])),
        401,
        "UNAUTHORIZED",
    )
