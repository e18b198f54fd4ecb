"""A test plugin: a route that emits events, and a channel-authorisation rule."""

from __future__ import annotations

from typing import Any

from quart import Blueprint, request

from maigie_core import emit, hookimpl, transaction
from maigie_core.realtime import broadcast, send_to_user

bp = Blueprint("rttest", __name__, url_prefix="/api/v1/rttest")


@bp.post("/emit")
async def emit_events() -> dict[str, Any]:
    """Body: {user_id, count?, start?, channel?, name?, transient?, broadcast?}."""
    body: dict[str, Any] = await request.get_json()
    count, start = int(body.get("count", 1)), int(body.get("start", 0))
    name = body.get("name", "test.ping")
    for n in range(start, start + count):
        data = {"n": n}
        if body.get("broadcast"):
            await broadcast(name, data, transient=bool(body.get("transient")))
        elif body.get("transient"):
            await send_to_user(body["user_id"], name, data, transient=True)
        else:
            async with transaction():
                await emit(name, body.get("user_id"), data, channel=body.get("channel"))
    return {"emitted": count}


class RealtimeTestPlugin:
    @hookimpl
    def register_blueprints(self, app: Any) -> list[Blueprint]:
        return [bp]

    @hookimpl
    async def authorize_channel(self, channel: str, user: Any) -> bool | None:
        if channel == "course:allowed":
            return True
        if channel == "course:denied":
            return False
        return None
