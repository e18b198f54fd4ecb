"""Accounts and authentication: users, tokens, sessions, OAuth, the route guards.

Plugins protect routes with ``@require_user`` / ``@require_admin`` and read the caller
with ``current_user()`` (a :class:`~maigie_core.principal.Principal`).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator

from quart import Quart

from maigie_core.auth.guards import (
    authenticate_token,
    current_user,
    require_admin,
    require_user,
)
from maigie_core.auth.state import AuthState, auth_state
from maigie_core.runtime import Runtime

__all__ = [
    "AuthState",
    "auth_state",
    "authenticate_token",
    "current_user",
    "install_auth",
    "require_admin",
    "require_user",
]


def install_auth(app: Quart, rt: Runtime) -> None:
    """Build the auth services of ``app``, serve their routes, run the cache invalidation."""
    from maigie_core.auth.admin import admin_blueprint
    from maigie_core.auth.oauth_routes import oauth_blueprint
    from maigie_core.auth.routes import auth_blueprint
    from maigie_core.auth.state import EXTENSION
    from maigie_core.auth.tasks import CORE_TASKS

    for definition in CORE_TASKS:  # mail and tier expiry run on the task queue
        rt.tasks[definition.name] = definition
    state = AuthState.build(rt)
    app.extensions[EXTENSION] = state
    app.register_blueprint(auth_blueprint)
    app.register_blueprint(oauth_blueprint)
    app.register_blueprint(admin_blueprint)

    @app.while_serving
    async def invalidation_listener() -> AsyncGenerator[None, None]:
        task = asyncio.create_task(state.invalidation.listen(), name="maigie-auth-invalidation")
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
