"""Helpers shared by tests/auth and tests/tiers: cheap hashing, a client that signs in."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from quart import Quart

from maigie_core.auth.models import MailRecord

CHEAP_HASH = {
    "PASSWORD_HASH_TIME_COST": 1,
    "PASSWORD_HASH_MEMORY_KIB": 1024,
    "PASSWORD_HASH_PARALLELISM": 1,
}
PASSWORD = "correct horse battery"


def cheap_settings(parent: Callable[..., Any]) -> Callable[..., Any]:
    def build(**overrides: Any) -> Any:
        return parent(**{**CHEAP_HASH, **overrides})

    return build


class Api:
    """A test client with the account calls most tests need."""

    def __init__(self, app: Quart) -> None:
        self.app = app
        self.client = app.test_client()

    async def register(
        self, email: str = "ada@example.com", password: str = PASSWORD, **extra: Any
    ) -> dict[str, Any]:
        response = await self.client.post(
            "/api/v1/auth/register", json={"email": email, "password": password, **extra}
        )
        assert response.status_code == 201, await response.get_data(as_text=True)
        return await response.get_json()

    async def login(self, email: str, password: str = PASSWORD) -> dict[str, Any]:
        response = await self.client.post(
            "/api/v1/auth/login", json={"email": email, "password": password}
        )
        assert response.status_code == 200, await response.get_data(as_text=True)
        return await response.get_json()

    async def user(self, email: str = "ada@example.com", **extra: Any) -> dict[str, str]:
        """Register and return bearer headers."""
        tokens = await self.register(email, **extra)
        return bearer(tokens["access_token"])

    async def admin(self, email: str = "root@example.com") -> dict[str, str]:
        headers = await self.user(email)
        await make_admin(self.app, email)
        return headers

    async def me(self, headers: dict[str, str]) -> dict[str, Any]:
        response = await self.client.get("/api/v1/auth/me", headers=headers)
        assert response.status_code == 200, await response.get_data(as_text=True)
        return await response.get_json()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def make_admin(app: Quart, email: str) -> None:
    from maigie_core.auth import accounts
    from maigie_core.auth.state import auth_state

    async with app.app_context():
        user = await accounts.find_by_email(email)
        assert user is not None
        await accounts.set_role(auth_state(), str(user.id), "admin", actor_id=None, source="cli")


async def last_mail(app: Quart, to: str, purpose: str) -> str:
    """The token carried by the newest mail of ``purpose`` sent to ``to``."""
    async with app.app_context():
        mail = await (
            MailRecord.select()
            .where((MailRecord.to_address == to) & (MailRecord.purpose == purpose))
            .order_by(MailRecord.created_at.desc())
            .aio_first()
        )
    assert mail is not None, f"no {purpose} mail to {to}"
    return str(mail.body.split("Token: ", 1)[1].strip())


async def assert_error(response: Any, status: int, code: str) -> dict[str, Any]:
    body = await response.get_json()
    assert response.status_code == status, body
    assert body["code"] == code, body
    assert body["status_code"] == status
    assert body["request_id"]
    return body
