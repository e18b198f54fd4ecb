"""``/api/v1/auth/oauth``: the configured providers, authorize (302) and callback (tokens)."""

from __future__ import annotations

from typing import Any

from quart import Blueprint, Response, redirect
from quart_schema import document_response, security_scheme, validate_querystring

from maigie_core.auth import oauth
from maigie_core.auth.schemas import OAuthCallbackQuery, ProviderList, TokenPair
from maigie_core.auth.state import auth_state
from maigie_core.errors import Unauthorized, ValidationFailed

oauth_blueprint = Blueprint("oauth", __name__, url_prefix="/api/v1/auth/oauth")


@oauth_blueprint.get("/providers")
@security_scheme([])
@document_response(ProviderList)
async def providers() -> dict[str, Any]:
    """The OAuth providers this server is configured for."""
    configured = oauth.configured_providers(auth_state().runtime.settings)
    return {
        "items": [
            {"name": name, "authorize_url": f"/api/v1/auth/oauth/{name}/authorize"}
            for name in sorted(configured)
        ],
        "next_cursor": None,
    }


@oauth_blueprint.get("/<provider>/authorize")
@security_scheme([])
async def authorize(provider: str) -> Response:
    """Redirect (302) to the provider's consent page, with a signed state (+ PKCE)."""
    state = auth_state()
    url = await oauth.authorization_url(state, oauth.get_provider(state, provider))
    return redirect(url, 302)  # type: ignore[return-value]


@oauth_blueprint.get("/<provider>/callback")
@security_scheme([])
@validate_querystring(OAuthCallbackQuery)
@document_response(TokenPair)
async def callback(provider: str, query_args: OAuthCallbackQuery) -> dict[str, Any]:
    """Finish the sign-in: exchange the code, link or create the account, return tokens."""
    state = auth_state()
    selected = oauth.get_provider(state, provider)
    if query_args.error:
        raise Unauthorized(f"{provider} refused the sign-in: {query_args.error}")
    if not query_args.code or not query_args.state:
        raise ValidationFailed(
            detail=[{"loc": ["code"], "msg": "code and state are required", "type": "missing"}]
        )
    return await oauth.complete(state, selected, query_args.code, query_args.state)
