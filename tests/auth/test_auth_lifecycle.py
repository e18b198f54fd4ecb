"""DELETE /me (re-authenticated) and GET /me/export through the plugin hooks."""

from __future__ import annotations

from typing import Any

from auth_support import PASSWORD, Api, assert_error

from maigie_core import hookimpl


class NotesPlugin:
    """A plugin keeping data per user, to watch deletion and export reach it."""

    def __init__(self) -> None:
        self.notes: dict[str, list[str]] = {}

    @hookimpl
    async def delete_user_data(self, user_id: str) -> None:
        self.notes.pop(user_id, None)

    @hookimpl
    def export_user_data(self, user_id: str) -> dict[str, Any]:
        return {"notes": self.notes.get(user_id, [])}


async def test_export_contains_the_account_and_every_plugin_section(make_app) -> None:
    plugin = NotesPlugin()
    app = make_app(plugins={"notes": plugin})
    async with app.test_app():
        api = Api(app)
        headers = await api.user()
        me = await api.me(headers)
        plugin.notes[me["id"]] = ["remember the milk"]
        plugin.notes["someone-else"] = ["secret"]
        response = await api.client.get("/api/v1/auth/me/export", headers=headers)
        assert response.status_code == 200
        data = await response.get_json()
    assert data["account"]["email"] == "ada@example.com"
    assert data["plugins"]["notes"] == {"notes": ["remember the milk"]}
    assert "secret" not in str(data)
    assert len(data["sessions"]) == 1
    assert data["subscription"]["tier"] == "free"


async def test_export_is_documented_with_its_own_schema(api: Api) -> None:
    """Not only the error envelope (found by tests/fuzz: a 200 checked against `default`)."""
    spec = await (await api.client.get("/openapi.json")).get_json()
    ok = spec["paths"]["/api/v1/auth/me/export"]["get"]["responses"]["200"]
    export = ok["content"]["application/json"]["schema"]
    assert export["title"] == "AccountExport"
    assert set(export["required"]) >= {"account", "sessions", "subscription", "plugins"}


async def test_delete_me_needs_the_password(api: Api) -> None:
    headers = await api.user()
    wrong = await api.client.delete(
        "/api/v1/auth/me", headers=headers, json={"password": "not the password"}
    )
    await assert_error(wrong, 403, "FORBIDDEN")
    missing = await api.client.delete("/api/v1/auth/me", headers=headers, json={})
    await assert_error(missing, 403, "FORBIDDEN")
    assert (await api.me(headers))["email"] == "ada@example.com"


async def test_delete_me_removes_the_account_and_every_plugin_data(make_app) -> None:
    plugin = NotesPlugin()
    app = make_app(plugins={"notes": plugin})
    async with app.test_app():
        api = Api(app)
        tokens = await api.register()
        headers = {"Authorization": f"Bearer {tokens['access_token']}"}
        user_id = (await api.me(headers))["id"]
        plugin.notes[user_id] = ["x"]
        response = await api.client.delete(
            "/api/v1/auth/me", headers=headers, json={"password": PASSWORD}
        )
        assert response.status_code == 204
        assert user_id not in plugin.notes
        await assert_error(
            await api.client.get("/api/v1/auth/me", headers=headers), 401, "UNAUTHORIZED"
        )
        refresh = await api.client.post(
            "/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
        )
        await assert_error(refresh, 401, "UNAUTHORIZED")
        login = await api.client.post(
            "/api/v1/auth/login", json={"email": "ada@example.com", "password": PASSWORD}
        )
        await assert_error(login, 401, "UNAUTHORIZED")
        await api.register()  # the address is free again
