"""The realtime WebSocket against a real hypercorn server and a real client (SPEC §7)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from rt_support import Server, close_code, connected, events, recv, recv_until
from websockets.asyncio.client import connect


async def test_token_in_url_authenticates_and_subscribes_own_channel(server: Server) -> None:
    token, user_id = await server.user()
    ws, hello = await connected(server.ws_url(token))
    assert hello["user_id"] == user_id
    assert hello["channels"] == [f"user:{user_id}"]
    assert hello["heartbeat_interval"] == 30
    assert hello["connection_id"]
    await ws.close()


async def test_first_auth_message_authenticates(server: Server) -> None:
    token, user_id = await server.user()
    async with connect(server.ws_url()) as ws:
        await ws.send(json.dumps({"type": "auth", "token": token}))
        hello = await recv(ws)
        assert hello["type"] == "connection" and hello["user_id"] == user_id


async def test_bad_token_is_closed_4401(server: Server) -> None:
    async with connect(server.ws_url("not-a-token")) as ws:
        code, seen = await close_code(ws)
    assert code == 4401
    assert seen[-1]["type"] == "error" and seen[-1]["code"] == "UNAUTHORIZED"


async def test_a_repeated_query_parameter_is_closed_4401(server: Server) -> None:
    """As on every HTTP route (maigie_core/querystring.py): never the first value silently."""
    token, _ = await server.user()
    async with connect(server.ws_url(token) + "&token=another") as ws:
        code, seen = await close_code(ws)
    assert code == 4401
    assert seen[-1]["code"] == "INVALID_MESSAGE" and "token" in seen[-1]["message"]


async def test_no_auth_within_the_timeout_is_closed_4401(start_server: Any) -> None:
    server = await start_server(REALTIME_AUTH_TIMEOUT=0.3)
    async with connect(server.ws_url()) as ws:
        code, _ = await close_code(ws)
    assert code == 4401


async def test_first_message_other_than_auth_is_closed_4401(server: Server) -> None:
    async with connect(server.ws_url()) as ws:
        await ws.send(json.dumps({"type": "subscribe", "channel": "public"}))
        code, seen = await close_code(ws)
    assert code == 4401 and seen[-1]["code"] == "UNAUTHORIZED"


async def test_channel_rules(server: Server) -> None:
    token, user_id = await server.user()
    _, other_id = await server.user("bob@example.com")
    ws, _ = await connected(server.ws_url(token))
    for channel, expected in [
        (f"user:{other_id}", "FORBIDDEN"),
        ("course:denied", "FORBIDDEN"),
        ("course:nobody-owns-it", "FORBIDDEN"),
        ("course:allowed", "subscribed"),
        ("public", "subscribed"),
        (f"user:{user_id}", "subscribed"),
    ]:
        await ws.send(json.dumps({"type": "subscribe", "channel": channel}))
        reply = await recv(ws)
        if expected == "FORBIDDEN":
            assert reply == {
                "type": "error",
                "code": "FORBIDDEN",
                "message": reply["message"],
                "channel": channel,
            }
        else:
            assert reply == {"type": "subscription", "status": "subscribed", "channel": channel}
    await ws.send(json.dumps({"type": "unsubscribe", "channel": "public"}))
    assert (await recv(ws))["status"] == "unsubscribed"
    await ws.close()


async def test_another_users_events_never_arrive(server: Server) -> None:
    token, user_id = await server.user()
    _, other_id = await server.user("bob@example.com")
    ws, _ = await connected(server.ws_url(token))
    await server.emit(user_id=other_id, start=0)
    await server.emit(user_id=user_id, start=1)
    [event] = await events(ws, 1)
    assert event["data"] == {"n": 1} and event["channel"] == f"user:{user_id}"
    await ws.close()


async def test_malformed_frames_get_errors_and_the_socket_lives(server: Server) -> None:
    token, _ = await server.user()
    ws, _ = await connected(server.ws_url(token))
    bad: list[Any] = [
        "not json",
        "[1, 2]",
        json.dumps({"type": "launch-missiles"}),
        json.dumps({"no": "type"}),
        json.dumps({"type": "subscribe"}),
        json.dumps({"type": "subscribe", "channel": "bad channel\n"}),
        json.dumps({"type": "resume", "last_event_id": "yesterday"}),
        json.dumps({"type": "auth", "token": "x"}),
        b"\x00\x01binary",
    ]
    for frame in bad:
        await ws.send(frame)
        reply = await recv(ws)
        assert reply["type"] == "error", (frame, reply)
        assert reply["code"] in ("INVALID_MESSAGE", "INVALID_CHANNEL"), reply
    await ws.send(json.dumps({"type": "heartbeat", "status": "ping"}))
    assert await recv(ws) == {"type": "heartbeat", "status": "pong"}
    await ws.close()


async def test_oversized_frame_closes_1009_before_the_app_reads_it(start_server: Any) -> None:
    server = await start_server(REALTIME_MAX_MESSAGE_BYTES=1024)
    token, _ = await server.user()
    ws, _ = await connected(server.ws_url(token))
    await ws.send(json.dumps({"type": "heartbeat", "pad": "é" * 600}))  # 1,200 bytes of UTF-8
    code, seen = await close_code(ws)
    assert (code, ws.close_reason, seen) == (1009, "Messages are limited to 1024 bytes", [])
    ws2, _ = await connected(server.ws_url(token))  # the server is fine
    await ws2.close()


async def test_server_pings_and_closes_a_silent_socket_4408(start_server: Any) -> None:
    server = await start_server(WEBSOCKET_HEARTBEAT_INTERVAL=0.2, WEBSOCKET_HEARTBEAT_TIMEOUT=0.8)
    token, _ = await server.user()
    ws, hello = await connected(server.ws_url(token))
    assert hello["heartbeat_interval"] == 0.2
    ping = await recv_until(ws, lambda m: m["type"] == "heartbeat")
    assert ping == {"type": "heartbeat", "status": "ping"}
    code, seen = await close_code(ws)
    assert code == 4408 and seen[-1]["code"] == "HEARTBEAT_TIMEOUT"


async def test_a_socket_that_answers_pings_stays_open(start_server: Any) -> None:
    server = await start_server(WEBSOCKET_HEARTBEAT_INTERVAL=0.1, WEBSOCKET_HEARTBEAT_TIMEOUT=0.5)
    token, user_id = await server.user()
    ws, _ = await connected(server.ws_url(token))
    loop = asyncio.get_running_loop()
    end = loop.time() + 1.5  # three timeouts long
    while loop.time() < end:
        message = await recv(ws)
        if message == {"type": "heartbeat", "status": "ping"}:
            await ws.send(json.dumps({"type": "heartbeat", "status": "pong"}))
    await server.emit(user_id=user_id)
    assert (await events(ws, 1))[0]["data"] == {"n": 0}
    await ws.close()


async def test_flooding_gets_an_error_then_4429(start_server: Any) -> None:
    server = await start_server(REALTIME_MESSAGES_PER_SECOND=5)
    token, _ = await server.user()
    ws, _ = await connected(server.ws_url(token))
    for _ in range(30):
        await ws.send(json.dumps({"type": "heartbeat", "status": "pong"}))
    code, seen = await close_code(ws)
    assert code == 4429
    assert [m["code"] for m in seen if m["type"] == "error"] == ["RATE_LIMITED", "RATE_LIMITED"]


async def test_subscriptions_per_socket_are_limited(start_server: Any) -> None:
    server = await start_server(REALTIME_MAX_SUBSCRIPTIONS=2)
    token, _ = await server.user()
    ws, _ = await connected(server.ws_url(token))  # user:{id} is the first
    await ws.send(json.dumps({"type": "subscribe", "channel": "public"}))
    assert (await recv(ws))["status"] == "subscribed"
    await ws.send(json.dumps({"type": "subscribe", "channel": "public:news"}))
    reply = await recv(ws)
    assert reply["code"] == "TOO_MANY_SUBSCRIPTIONS" and reply["channel"] == "public:news"
    await ws.close()


async def test_events_arrive_with_increasing_ids_on_every_channel(server: Server) -> None:
    token, user_id = await server.user()
    ws, _ = await connected(server.ws_url(token))
    await ws.send(json.dumps({"type": "subscribe", "channel": "public"}))
    await recv(ws)
    await server.emit(user_id=user_id, start=0)
    await server.emit(channel="public", start=1)
    await server.emit(user_id=user_id, start=2)
    got = await events(ws, 3)
    assert [e["data"]["n"] for e in got] == [0, 1, 2]
    assert [e["channel"] for e in got] == [f"user:{user_id}", "public", f"user:{user_id}"]
    ids = [e["id"] for e in got]
    assert ids == sorted(ids) and len(set(ids)) == 3
    assert got[0] == {
        "type": "event",
        "id": ids[0],
        "event": "test.ping",
        "channel": f"user:{user_id}",
        "data": {"n": 0},
    }
    await ws.close()


async def test_transient_pushes_and_broadcasts(server: Server) -> None:
    token, user_id = await server.user()
    token2, _ = await server.user("bob@example.com")
    ws, _ = await connected(server.ws_url(token))
    ws2, _ = await connected(server.ws_url(token2))
    await server.emit(user_id=user_id, transient=True, name="ai.token")
    [token_event] = await events(ws, 1)
    assert token_event["id"] is None and token_event["event"] == "ai.token"
    await server.emit(broadcast=True, name="maintenance.soon", start=7)
    for sock in (ws, ws2):
        [event] = await events(sock, 1)
        assert event["channel"] == "broadcast" and event["data"] == {"n": 7}
        assert isinstance(event["id"], int)
    await ws.close()
    await ws2.close()


async def test_graceful_shutdown_closes_sockets_1001(start_server: Any) -> None:
    server = await start_server()
    token, _ = await server.user()
    ws, _ = await connected(server.ws_url(token))
    stopping = asyncio.create_task(server.shutdown())
    code, seen = await close_code(ws)
    await stopping
    assert code == 1001 and seen[-1]["code"] == "SERVER_SHUTDOWN"


async def test_compression_is_declined_unless_enabled(start_server: Any) -> None:
    server = await start_server()
    token, _ = await server.user()
    async with connect(server.ws_url(token)) as ws:  # the client offers permessage-deflate
        assert ws.response is not None
        assert "Sec-WebSocket-Extensions" not in ws.response.headers
        assert (await recv(ws))["type"] == "connection"
    await server.shutdown()
    server = await start_server(REALTIME_COMPRESSION=True)
    token, _ = await server.user("bob@example.com")
    async with connect(server.ws_url(token)) as ws:
        assert ws.response is not None
        assert "permessage-deflate" in ws.response.headers["Sec-WebSocket-Extensions"]
        assert (await recv(ws))["type"] == "connection"
