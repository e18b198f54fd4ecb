"""Small in-process plugins shared by tests."""

from __future__ import annotations

from quart import Blueprint

from maigie_core import hookimpl


def plugin_with_route(prefix: str) -> object:
    bp = Blueprint(f"bp_{prefix}", __name__, url_prefix=f"/api/v1/{prefix}")

    @bp.get("/ping")
    async def ping() -> dict[str, str]:
        return {"pong": prefix}

    class Plugin:
        @hookimpl
        def register_blueprints(self, app):
            return [bp]

    return Plugin()
