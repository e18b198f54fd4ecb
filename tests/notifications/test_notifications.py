"""Notifications: raised by any plugin, stored, pushed, listed, marked read, private."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
from auth_support import Api, assert_error
from quart import Quart

from maigie_core.notifications import NoPush, notify
from maigie_core.notifications.push import load_push_provider
from maigie_core.settings import SettingsError

sys.path.insert(0, str(Path(__file__).resolve().parent))


async def _user(api: Api, email: str = "ada@example.com") -> tuple[dict[str, str], str]:
    headers = await api.user(email)
    return headers, (await api.me(headers))["id"]


async def _get(api: Api, path: str, headers: dict[str, str]) -> Any:
    response = await api.client.get(path, headers=headers)
    return await response.get_json()


async def _raise(app: Quart, user_id: str, n: int = 1, **kwargs: Any) -> list[dict[str, Any]]:
    async with app.app_context():
        return [await notify(user_id, "reminder.due", f"Reminder {i}", **kwargs) for i in range(n)]


async def test_a_raised_notification_is_listed_newest_first(app: Quart, api: Api) -> None:
    headers, user_id = await _user(api)
    await _raise(app, user_id, 3, body="Read chapter 5", data={"reminder_id": "r1"})
    response = await api.client.get("/api/v1/notifications", headers=headers)
    body = await response.get_json()
    assert response.status_code == 200
    assert [n["title"] for n in body["items"]] == ["Reminder 2", "Reminder 1", "Reminder 0"]
    first = body["items"][0]
    assert first["kind"] == "reminder.due" and first["body"] == "Read chapter 5"
    assert first["data"] == {"reminder_id": "r1"} and first["read"] is False
    assert first["created_at"].endswith("Z") and body["next_cursor"] is None


async def test_pagination_with_cursor(app: Quart, api: Api) -> None:
    headers, user_id = await _user(api)
    await _raise(app, user_id, 5)
    seen: list[str] = []
    cursor = None
    while True:
        query = "?limit=2" + (f"&cursor={cursor}" if cursor else "")
        body = await _get(api, f"/api/v1/notifications{query}", headers)
        assert len(body["items"]) <= 2
        seen += [n["title"] for n in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == [f"Reminder {i}" for i in (4, 3, 2, 1, 0)]


@pytest.mark.parametrize("query", ["limit=0", "limit=101", "limit=abc", "cursor=%%%", "x=1"])
async def test_bad_list_parameters_are_422(api: Api, query: str) -> None:
    headers, _ = await _user(api)
    response = await api.client.get(f"/api/v1/notifications?{query}", headers=headers)
    await assert_error(response, 422, "VALIDATION_ERROR")


async def test_anonymous_is_401(api: Api) -> None:
    await assert_error(await api.client.get("/api/v1/notifications"), 401, "UNAUTHORIZED")


async def test_another_users_notification_is_404(app: Quart, api: Api) -> None:
    _, ada = await _user(api)
    bob_headers, _ = await _user(api, "bob@example.com")
    [note] = await _raise(app, ada)
    for method, path in [
        ("get", f"/api/v1/notifications/{note['id']}"),
        ("post", f"/api/v1/notifications/{note['id']}/read"),
        ("delete", f"/api/v1/notifications/{note['id']}"),
        ("get", "/api/v1/notifications/not-a-uuid"),
    ]:
        response = await getattr(api.client, method)(path, headers=bob_headers)
        await assert_error(response, 404, "RESOURCE_NOT_FOUND")
    listed = await (await api.client.get("/api/v1/notifications", headers=bob_headers)).get_json()
    assert listed["items"] == []


async def test_mark_one_and_all_read(app: Quart, api: Api) -> None:
    headers, user_id = await _user(api)
    notes = await _raise(app, user_id, 3)
    response = await api.client.post(
        f"/api/v1/notifications/{notes[0]['id']}/read", headers=headers
    )
    read = await response.get_json()
    assert response.status_code == 200 and read["read"] is True and read["read_at"]
    count = await _get(api, "/api/v1/notifications/unread-count", headers)
    assert count == {"unread": 2}
    unread = await _get(api, "/api/v1/notifications?unread=true", headers)
    assert len(unread["items"]) == 2
    response = await api.client.post("/api/v1/notifications/read-all", headers=headers)
    assert await response.get_json() == {"updated": 2}
    count = await _get(api, "/api/v1/notifications/unread-count", headers)
    assert count == {"unread": 0}


async def test_delete_one(app: Quart, api: Api) -> None:
    headers, user_id = await _user(api)
    [note] = await _raise(app, user_id)
    response = await api.client.delete(f"/api/v1/notifications/{note['id']}", headers=headers)
    assert response.status_code == 204
    response = await api.client.get(f"/api/v1/notifications/{note['id']}", headers=headers)
    await assert_error(response, 404, "RESOURCE_NOT_FOUND")


async def test_a_notification_is_pushed_to_the_users_socket(app: Quart, api: Api) -> None:
    headers, user_id = await _user(api)
    token = headers["Authorization"].split()[1]
    async with api.client.websocket(f"/api/v1/realtime/ws?token={token}") as ws:
        hello = json.loads(await ws.receive())
        assert hello["type"] == "connection"
        [note] = await _raise(app, user_id)
        event = json.loads(await ws.receive())
    assert event["type"] == "event" and event["event"] == "notification.created"
    assert event["channel"] == f"user:{user_id}" and event["data"] == note


async def test_account_deletion_deletes_notifications(app: Quart, api: Api) -> None:
    from maigie_core.notifications.models import Notification

    headers, user_id = await _user(api)
    await _raise(app, user_id, 2)
    export = await _get(api, "/api/v1/auth/me/export", headers)
    assert len(export["plugins"]["core.notifications"]["notifications"]) == 2
    from auth_support import PASSWORD

    response = await api.client.delete(
        "/api/v1/auth/me", headers=headers, json={"password": PASSWORD}
    )
    assert response.status_code == 204
    async with app.app_context():
        assert await Notification.select().aio_count() == 0


def test_no_push_provider_by_default(make_settings: Any) -> None:
    assert isinstance(load_push_provider(make_settings()), NoPush)


def test_a_bad_push_provider_setting_is_a_settings_error(make_settings: Any) -> None:
    with pytest.raises(SettingsError, match="NOTIFICATIONS_PUSH_PROVIDER"):
        load_push_provider(make_settings(NOTIFICATIONS_PUSH_PROVIDER="no.such.module:x"))


async def test_the_push_provider_gets_new_notifications(make_app: Any) -> None:
    import recording_push

    app = make_app(NOTIFICATIONS_PUSH_PROVIDER="recording_push:factory")
    async with app.test_app():
        api = Api(app)
        _, user_id = await _user(api)
        [note] = await _raise(app, user_id)
    assert recording_push.SENT[-1] == (user_id, note)
