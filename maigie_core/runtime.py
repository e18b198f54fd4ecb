"""The per-app runtime: everything ``create_app`` assembled, reachable from a request.

``runtime()`` inside a request, task or CLI command with an app context returns it;
plugins use the narrower helpers (``plugin_settings``, ``resolve_object``, ``emit``).
"""

from __future__ import annotations

import threading
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel
from quart import Quart, current_app

from maigie_core.db import Database
from maigie_core.events import EventBus
from maigie_core.hookspecs import AIAction, Migrations, TierLimit
from maigie_core.plugins import PluginHost
from maigie_core.settings import Settings
from maigie_core.tasks import TaskDefinition

if TYPE_CHECKING:
    from redis.asyncio import Redis

    from maigie_core.principal import Principal
    from maigie_core.tasks.queue import TaskQueue


@dataclass(frozen=True)
class HealthCheck:
    """One line of ``/health``: ``check()`` returns details or raises when down."""

    name: str
    check: Callable[[], Awaitable[Mapping[str, Any] | None]]
    required: bool = True


@dataclass
class Runtime:
    settings: Settings
    db: Database
    plugins: PluginHost
    events: EventBus
    redis: Redis | None = None
    plugin_settings: dict[str, BaseModel] = field(default_factory=dict)
    migrations: list[Migrations] = field(default_factory=list)
    tier_limits: dict[str, TierLimit] = field(default_factory=dict)
    ai_actions: dict[str, AIAction] = field(default_factory=dict)
    tasks: dict[str, TaskDefinition] = field(default_factory=dict)
    health_checks: list[HealthCheck] = field(default_factory=list)
    extra_schemas: dict[str, Any] = field(default_factory=dict)
    serving: bool = False
    queue: TaskQueue | None = None  # the task queue (maigie_core.tasks), set by create_app


#: A task worker thread's own view of the runtime (its database and Redis client).
_thread_view = threading.local()


def runtime(app: Quart | None = None) -> Runtime:
    """The runtime of ``app`` (default: the current app, as this thread sees it)."""
    if app is None:
        view: Runtime | None = getattr(_thread_view, "runtime", None)
        if view is not None:
            return view
    target = app if app is not None else current_app
    value: Runtime = target.extensions["maigie"]
    return value


def plugin_settings(name: str) -> Any:
    """The validated settings of plugin ``name`` (its ``register_settings`` model)."""
    return runtime().plugin_settings[name]


async def resolve_object(kind: str, object_id: str, user: Principal) -> Mapping[str, Any] | None:
    """Read another plugin's object as ``user`` sees it; ``None`` if absent or hidden."""
    result: Mapping[str, Any] | None = await runtime().plugins.first(
        "resolve_object", kind=kind, object_id=str(object_id), user=user
    )
    return result


async def channel_allowed(channel: str, user: Principal) -> bool:
    """May ``user`` subscribe to ``channel``? Some plugin must say yes and none no."""
    answers = [
        answer
        for _name, answer in await runtime().plugins.call(
            "authorize_channel", channel=channel, user=user
        )
    ]
    return bool(answers) and all(answers)
