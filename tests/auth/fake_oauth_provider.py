"""A local OAuth 2 provider (Google- and GitHub-shaped) for the OAuth tests.

A real HTTP server on 127.0.0.1 in a thread: ``/authorize`` approves at once and
redirects with a code; ``/token`` checks the client credentials, the code, the
redirect URI and (when the authorization asked for it) the PKCE S256 verifier;
``/userinfo`` (Google) and ``/user`` + ``/user/emails`` (GitHub) answer for the
access token.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit


@dataclass
class FakeUser:
    subject: str
    email: str
    email_verified: bool = True
    name: str = "Fake User"


@dataclass
class FakeProvider:
    client_id: str = "client-id"
    client_secret: str = "client-secret"
    user: FakeUser = field(default_factory=lambda: FakeUser("1001", "ada@example.com"))
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    tokens: dict[str, FakeUser] = field(default_factory=dict)
    token_requests: list[dict[str, Any]] = field(default_factory=list)
    base_url: str = ""

    def settings(self) -> dict[str, str]:
        b = self.base_url
        return {
            "OAUTH_GOOGLE_CLIENT_ID": self.client_id,
            "OAUTH_GOOGLE_CLIENT_SECRET": self.client_secret,
            "OAUTH_GOOGLE_AUTHORIZE_URL": f"{b}/authorize",
            "OAUTH_GOOGLE_TOKEN_URL": f"{b}/token",
            "OAUTH_GOOGLE_USERINFO_URL": f"{b}/userinfo",
            "OAUTH_GITHUB_CLIENT_ID": self.client_id,
            "OAUTH_GITHUB_CLIENT_SECRET": self.client_secret,
            "OAUTH_GITHUB_AUTHORIZE_URL": f"{b}/authorize",
            "OAUTH_GITHUB_TOKEN_URL": f"{b}/token",
            "OAUTH_GITHUB_USER_URL": f"{b}/user",
            "OAUTH_GITHUB_EMAILS_URL": f"{b}/user/emails",
        }


def _handler(provider: FakeProvider) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _json(self, status: int, body: Any) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _user(self) -> FakeUser | None:
            auth = self.headers.get("Authorization", "")
            return provider.tokens.get(auth.removeprefix("Bearer ").strip())

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            if url.path == "/authorize":
                code = secrets.token_urlsafe(16)
                provider.codes[code] = {
                    "redirect_uri": query.get("redirect_uri"),
                    "challenge": query.get("code_challenge"),
                    "user": provider.user,
                }
                target = (
                    f"{query['redirect_uri']}?{urlencode({'code': code, 'state': query['state']})}"
                )
                self.send_response(302)
                self.send_header("Location", target)
                self.end_headers()
                return
            user = self._user()
            if user is None:
                self._json(401, {"message": "Bad credentials"})
            elif url.path == "/userinfo":
                self._json(
                    200,
                    {
                        "sub": user.subject,
                        "email": user.email,
                        "email_verified": user.email_verified,
                        "name": user.name,
                    },
                )
            elif url.path == "/user":
                self._json(
                    200,
                    {"id": int(user.subject), "login": "octo", "name": user.name, "email": None},
                )
            elif url.path == "/user/emails":
                self._json(
                    200,
                    [
                        {"email": "noreply@users.example", "primary": False, "verified": True},
                        {"email": user.email, "primary": True, "verified": user.email_verified},
                    ],
                )
            else:
                self._json(404, {})

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
            provider.token_requests.append(form)
            basic = self.headers.get("Authorization", "")
            if basic.startswith("Basic "):
                cid, _, secret = base64.b64decode(basic[6:]).decode().partition(":")
            else:
                cid, secret = form.get("client_id", ""), form.get("client_secret", "")
            if (cid, secret) != (provider.client_id, provider.client_secret):
                self._json(401, {"error": "invalid_client"})
                return
            grant = provider.codes.pop(form.get("code", ""), None)
            if grant is None or grant["redirect_uri"] != form.get("redirect_uri"):
                self._json(400, {"error": "invalid_grant"})
                return
            if grant["challenge"]:
                verifier = form.get("code_verifier", "")
                digest = hashlib.sha256(verifier.encode()).digest()
                expected = base64.urlsafe_b64encode(digest).decode().rstrip("=")
                if expected != grant["challenge"]:
                    self._json(400, {"error": "invalid_grant", "error_description": "PKCE"})
                    return
            token = secrets.token_urlsafe(16)
            provider.tokens[token] = grant["user"]
            self._json(200, {"access_token": token, "token_type": "bearer", "expires_in": 3600})

    return Handler


class FakeProviderServer:
    def __init__(self) -> None:
        self.provider = FakeProvider()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self.provider))
        self.provider.base_url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def __enter__(self) -> FakeProvider:
        self.thread.start()
        return self.provider

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
