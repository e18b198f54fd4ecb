"""Small in-process plugins shared by tests."""

from __future__ import annotations

from quart import Blueprint

from maigie_core import EventSubscriber, hookimpl
from maigie_core.events import Event


def plugin_serving(*blueprints: Blueprint) -> object:
    """A plugin whose one contribution is ``blueprints``."""

    class Plugin:
        @hookimpl
        def register_blueprints(self, app):
            return list(blueprints)

    return Plugin()


def plugin_with_route(prefix: str) -> object:
    bp = Blueprint(f"bp_{prefix}", __name__, url_prefix=f"/api/v1/{prefix}")

    @bp.get("/ping")
    async def ping() -> dict[str, str]:
        return {"pong": prefix}

    return plugin_serving(bp)


class EventLog:
    """A plugin recording every domain event the app delivers (after commit)."""

    def __init__(self) -> None:
        self.seen: list[Event] = []

    @hookimpl
    def register_event_subscribers(self) -> list[EventSubscriber]:
        async def record(event: Event) -> None:
            self.seen.append(event)

        return [EventSubscriber("*", record, name="test.event_log")]

    def named(self, name: str) -> list[Event]:
        """The events called ``name``; a name ending in "." names a family ("course.")."""
        if name.endswith("."):
            return [e for e in self.seen if e.name.startswith(name)]
        return [e for e in self.seen if e.name == name]

    def clear(self) -> None:
        self.seen.clear()
