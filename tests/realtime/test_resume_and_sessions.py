"""Resume after a disconnect, sockets closed by logout/deactivation, /health, OpenAPI."""

from __future__ import annotations

import json
from typing import Any

from auth_support import PASSWORD
from rt_support import Server, close_code, connected, events, recv, recv_until
from websockets.asyncio.client import connect

from maigie_core.auth import accounts
from maigie_core.auth.state import auth_state


async def _resume(ws: Any, last_event_id: int) -> None:
    await ws.send(json.dumps({"type": "resume", "last_event_id": last_event_id}))


async def test_resume_replays_what_was_missed_in_order_then_continues_live(
    server: Server,
) -> None:
    token, user_id = await server.user()
    _, other_id = await server.user("bob@example.com")
    ws, _ = await connected(server.ws_url(token))
    await ws.send(json.dumps({"type": "subscribe", "channel": "course:allowed"}))
    await recv(ws)
    await server.emit(user_id=user_id, start=0)
    [first] = await events(ws, 1)
    await ws.close()

    await server.emit(user_id=user_id, start=1)
    await server.emit(channel="course:allowed", start=2)
    await server.emit(user_id=other_id, start=99)  # never this user's
    await server.emit(channel="public", start=98)  # not subscribed on the new socket
    await server.emit(user_id=user_id, start=3)

    ws, _ = await connected(server.ws_url(token))
    await ws.send(json.dumps({"type": "subscribe", "channel": "course:allowed"}))
    await recv(ws)
    await _resume(ws, first["id"])
    replayed = await events(ws, 3)
    assert [e["data"]["n"] for e in replayed] == [1, 2, 3]
    ids = [e["id"] for e in replayed]
    assert ids == sorted(ids) and ids[0] > first["id"]
    done = await recv_until(ws, lambda m: m["type"] == "resume")
    assert done == {
        "type": "resume",
        "status": "completed",
        "replayed": 3,
        "last_event_id": ids[-1],
    }
    await server.emit(user_id=user_id, start=4)
    [live] = await events(ws, 1)
    assert live["data"] == {"n": 4} and live["id"] > ids[-1]
    await ws.close()


async def test_resume_at_connect_and_at_subscribe_comes_before_anything_live(
    server: Server,
) -> None:
    token, user_id = await server.user()
    ws, _ = await connected(server.ws_url(token))
    await server.emit(user_id=user_id, start=0)
    [first] = await events(ws, 1)
    await ws.close()
    await server.emit(user_id=user_id, start=1, count=2)
    await server.emit(channel="course:allowed", start=3, count=2)

    ws, _ = await connected(server.ws_url(token) + f"&last_event_id={first['id']}")
    assert [e["data"]["n"] for e in await events(ws, 2)] == [1, 2]
    done = await recv(ws)
    assert done["type"] == "resume" and done["replayed"] == 2
    await ws.send(
        json.dumps({"type": "subscribe", "channel": "course:allowed", "last_event_id": first["id"]})
    )
    assert (await recv(ws))["status"] == "subscribed"
    assert [e["data"]["n"] for e in await events(ws, 2)] == [3, 4]
    await ws.close()

    async with connect(server.ws_url()) as ws:  # the same through a first `auth` message
        await ws.send(json.dumps({"type": "auth", "token": token, "last_event_id": first["id"]}))
        assert (await recv(ws))["type"] == "connection"
        assert [e["data"]["n"] for e in await events(ws, 2)] == [1, 2]


async def test_resume_with_nothing_missed_replays_nothing(server: Server) -> None:
    token, user_id = await server.user()
    ws, _ = await connected(server.ws_url(token))
    await server.emit(user_id=user_id)
    [event] = await events(ws, 1)
    await _resume(ws, event["id"])
    done = await recv_until(ws, lambda m: m["type"] == "resume")
    assert done["replayed"] == 0
    await ws.close()


async def test_resume_too_old_tells_the_client_to_refetch(start_server: Any) -> None:
    server = await start_server(REALTIME_LOG_SIZE=2)
    token, user_id = await server.user()
    ws, _ = await connected(server.ws_url(token))
    await server.emit(user_id=user_id, start=0)
    [first] = await events(ws, 1)
    await ws.close()
    await server.emit(user_id=user_id, start=1, count=3)  # the memory log keeps only 2
    ws, _ = await connected(server.ws_url(token))
    await _resume(ws, first["id"])
    if server.app.extensions["maigie"].redis is None:
        error = await recv_until(ws, lambda m: m["type"] == "error")
        assert error["code"] == "RESUME_TOO_OLD" and "refetch" in error["message"]
    else:  # a Redis stream trims approximately (MAXLEN ~): it still has them
        assert [e["data"]["n"] for e in await events(ws, 3)] == [1, 2, 3]
    await _resume(ws, 1)  # from long before this server existed
    error = await recv_until(ws, lambda m: m["type"] == "error")
    assert error["code"] == "RESUME_TOO_OLD" and "refetch" in error["message"]
    await server.emit(user_id=user_id, start=10)  # still live afterwards
    assert (await events(ws, 1))[0]["data"] == {"n": 10}
    await ws.close()


async def test_logout_closes_the_sockets_of_that_session_only(server: Server) -> None:
    await server.user()
    phone = await server.api.login("ada@example.com")
    laptop = await server.api.login("ada@example.com")
    ws_phone, _ = await connected(server.ws_url(phone["access_token"]))
    ws_laptop, _ = await connected(server.ws_url(laptop["access_token"]))
    response = await server.api.client.post(
        "/api/v1/auth/logout", json={"refresh_token": phone["refresh_token"]}
    )
    assert response.status_code == 204
    code, seen = await close_code(ws_phone)
    assert code == 4401 and seen[-1]["code"] == "SESSION_ENDED"
    ended = await recv_until(ws_laptop, lambda m: m["type"] == "event")
    assert ended["event"] == "auth.session_ended"  # the other session hears of it, stays open
    await ws_laptop.send(json.dumps({"type": "heartbeat", "status": "ping"}))
    assert (await recv(ws_laptop))["status"] == "pong"
    await ws_laptop.close()


async def test_deactivation_closes_the_users_sockets_at_once(start_server: Any) -> None:
    server = await start_server(REALTIME_REVALIDATE_INTERVAL=3600)  # no periodic re-check
    admin = await server.api.admin()
    token, user_id = await server.user()
    ws, _ = await connected(server.ws_url(token))
    other_token, _ = await server.user("bob@example.com")
    bystander, _ = await connected(server.ws_url(other_token))
    response = await server.api.client.patch(
        f"/api/v1/admin/users/{user_id}", json={"is_active": False}, headers=admin
    )
    assert response.status_code == 200, await response.get_data(as_text=True)
    code, seen = await close_code(ws)
    assert code == 4401 and seen[-1]["code"] == "SESSION_ENDED"
    await bystander.send(json.dumps({"type": "heartbeat", "status": "ping"}))
    assert (await recv_until(bystander, lambda m: m["type"] == "heartbeat"))["status"] == "pong"
    await bystander.close()
    async with server.app.app_context():
        await accounts.set_active(auth_state(), user_id, True, actor_id=None, source="cli")
    async with connect(server.ws_url(token)) as ws:  # the old token died with the change
        code, seen = await close_code(ws)
    assert code == 4401 and seen[-1]["code"] == "UNAUTHORIZED"


async def test_password_change_closes_every_socket_of_the_user_at_once(
    start_server: Any,
) -> None:
    server = await start_server(REALTIME_REVALIDATE_INTERVAL=3600)
    await server.user()
    phone = await server.api.login("ada@example.com")
    laptop = await server.api.login("ada@example.com")
    ws_phone, _ = await connected(server.ws_url(phone["access_token"]))
    ws_laptop, _ = await connected(server.ws_url(laptop["access_token"]))
    response = await server.api.client.post(
        "/api/v1/auth/password/change",
        json={"current_password": PASSWORD, "new_password": "another horse battery"},
        headers={"Authorization": f"Bearer {laptop['access_token']}"},
    )
    assert response.status_code == 200, await response.get_data(as_text=True)
    for ws in (ws_phone, ws_laptop):  # every session ended, this one's socket too
        code, seen = await close_code(ws)
        assert code == 4401 and seen[-1]["code"] == "SESSION_ENDED"
    fresh = (await response.get_json())["access_token"]
    ws, _ = await connected(server.ws_url(fresh))  # the new token pair works
    await ws.close()


async def test_account_deletion_closes_the_users_sockets_at_once(start_server: Any) -> None:
    server = await start_server(REALTIME_REVALIDATE_INTERVAL=3600)
    token, _ = await server.user()
    ws, _ = await connected(server.ws_url(token))
    response = await server.api.client.delete(
        "/api/v1/auth/me", json={"password": PASSWORD}, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 204, await response.get_data(as_text=True)
    code, seen = await close_code(ws)
    assert code == 4401 and seen[-1]["code"] == "SESSION_ENDED"


async def test_health_reports_connections(server: Server) -> None:
    token, _ = await server.user()
    ws, _ = await connected(server.ws_url(token))
    response = await server.api.client.get("/health")
    body = await response.get_json()
    realtime = body["checks"]["realtime"]
    assert realtime["status"] == "ok" and realtime["required"] is False
    assert realtime["detail"]["connections"] == 1
    assert realtime["detail"]["users"] == 1
    assert realtime["detail"]["backplane"] in ("memory", "redis")
    await ws.close()


async def test_openapi_publishes_the_protocol_messages(server: Server) -> None:
    response = await server.api.client.get("/openapi.json")
    schemas = (await response.get_json())["components"]["schemas"]
    for name in (
        "RealtimeAuth",
        "RealtimeHeartbeat",
        "RealtimeSubscribe",
        "RealtimeUnsubscribe",
        "RealtimeResume",
        "RealtimeConnection",
        "RealtimeSubscription",
        "RealtimeEvent",
        "RealtimeResumed",
        "RealtimeError",
    ):
        assert name in schemas, name
    assert schemas["RealtimeEvent"]["properties"]["type"]["const"] == "event"


async def test_concurrent_emits_are_numbered_once_delivered_once_and_replayed_in_order(
    server: Server,
) -> None:
    """Concurrent requests' events (recorded together in one Redis round trip on the
    Redis backplane) each get one id, reach the socket once, in id order, and replay
    in that same order."""
    import asyncio

    token, user_id = await server.user()
    ws, _ = await connected(server.ws_url(token))
    await asyncio.gather(*(server.emit(user_id=user_id, start=n) for n in range(40)))
    live = await events(ws, 40)
    ids = [e["id"] for e in live]
    assert ids == sorted(ids) and len(set(ids)) == 40
    assert sorted(e["data"]["n"] for e in live) == list(range(40))
    await ws.close()

    ws, _ = await connected(server.ws_url(token))
    await _resume(ws, ids[0])
    replayed = await events(ws, 39)
    assert [e["id"] for e in replayed] == ids[1:]
    assert [e["data"] for e in replayed] == [e["data"] for e in live[1:]]
    await ws.close()
