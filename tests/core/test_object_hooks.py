"""AI actions are collected per app; channel authorisation needs a yes and no no."""

from __future__ import annotations

from pydantic import BaseModel

from maigie_core import AIAction, Principal, hookimpl
from maigie_core.runtime import channel_allowed, runtime

ALICE = Principal(id="alice", email="alice@example.com")
BOB = Principal(id="bob", email="bob@example.com")


class Echo(BaseModel):
    text: str


async def echo(user: Principal, payload: Echo) -> dict[str, str]:
    return {"user": user.id, "text": payload.text}


class Actions:
    @hookimpl
    def register_ai_actions(self):
        return [AIAction("echo", "Repeat the text back", Echo, echo)]


async def test_ai_actions_of_enabled_plugins_are_registered(make_app) -> None:
    app = make_app(plugins={"actions": Actions()})
    action = runtime(app).ai_actions["echo"]
    assert action.payload.model_json_schema()["required"] == ["text"]
    assert await action.handler(ALICE, Echo(text="hi")) == {"user": "alice", "text": "hi"}
    assert make_app().extensions["maigie"].ai_actions == {}


class Rooms:
    """Owns room:{owner} channels: only the owner may subscribe."""

    @hookimpl
    async def authorize_channel(self, channel, user):
        if not channel.startswith("room:"):
            return None
        return channel == f"room:{user.id}"


class Paranoid:
    @hookimpl
    def authorize_channel(self, channel):
        return False if channel == "room:alice-banned" else None


async def test_channel_needs_an_owner_that_allows_it(make_app) -> None:
    app = make_app(plugins={"rooms": Rooms(), "paranoid": Paranoid()})
    async with app.app_context():
        assert await channel_allowed("room:alice", ALICE)
        assert not await channel_allowed("room:alice", BOB)
        assert not await channel_allowed("unowned:1", ALICE)  # nobody says yes
        assert not await channel_allowed("room:alice-banned", Principal("alice-banned", "x@y.z"))
