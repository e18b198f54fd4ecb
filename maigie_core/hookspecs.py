"""The plugin contract: every hook a Maigie plugin may implement.

A plugin is a module (or object) registered under the entry-point group
``maigie.plugins``; it implements hooks with ``@hookimpl`` from ``maigie_core``::

    from maigie_core import hookimpl

    @hookimpl
    def register_blueprints(app):
        return [courses_blueprint]

Rules, enforced by the plugin manager (``maigie_core.plugins``):

* An implementation may take any *subset* of a hook's arguments, by name.
* Implementing a hook that is not declared here refuses the plugin with an error that
  names the plugin, the hook and the known hooks (a typo never goes unnoticed).
* **Async rule.** Hooks named ``register_*`` are called once while the app is built and
  must be plain functions. Every other hook is called at run time and may be
  ``async def``: the core awaits whatever an implementation returns.
* Hooks marked *first result* stop at the first implementation that returns something
  other than ``None``; the others collect every result (lists returned by ``register_*``
  hooks are flattened).

Each hook is documented for plugin authors in ``docs/plugins.md`` under its signature.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import pluggy

if TYPE_CHECKING:
    import click
    from pydantic import BaseModel
    from quart import Blueprint, Quart

    from maigie_core.events import Event
    from maigie_core.principal import Principal
    from maigie_core.tasks import TaskDefinition

PROJECT = "maigie"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)

Tier = Literal["free", "premium_monthly", "premium_yearly"]
TIERS: tuple[Tier, ...] = ("free", "premium_monthly", "premium_yearly")


# -- values plugins hand to the core ---------------------------------------------------


@dataclass(frozen=True)
class Migrations:
    """Where an owner's schema migrations live.

    ``package`` is an importable package holding modules named ``NNNN_description.py``,
    each with ``def upgrade(ctx: maigie_core.db.MigrationContext) -> None``. They run in
    name order, once each, tracked per ``owner`` in one table.
    """

    owner: str
    package: str


@dataclass(frozen=True)
class TierLimit:
    """A limit a plugin declares and the core enforces with ``check_limit``.

    ``values`` maps each tier to its allowance: an int (``0`` = not available on that
    tier) or ``None`` for unlimited; a tier left out is unlimited. ``period`` says when
    usage resets: ``none`` counts objects held right now (the plugin reports the count:
    ``check_limit(..., current=n)``, or ``count(user_id)`` below), ``day``/``month`` count
    uses per UTC calendar day/month (the core keeps the counters).
    ``count``, optional for ``none`` limits, returns how many the user holds now (may be
    async); ``GET /subscription`` shows it as the usage.
    """

    name: str
    description: str
    values: Mapping[Tier, int | None]
    period: Literal["none", "day", "month"] = "none"
    count: Callable[[str], Awaitable[int] | int] | None = field(default=None, compare=False)


@dataclass(frozen=True)
class AIAction:
    """Something the assistant may do on a user's behalf.

    The assistant shows ``description`` and the JSON Schema of ``payload`` to a model,
    validates the model's arguments with ``payload``, then awaits
    ``handler(user, payload)``; the handler returns a JSON-serialisable result or raises
    a ``MaigieError`` (a tier limit, a validation error…), which the assistant reports.
    """

    name: str
    description: str
    payload: type[BaseModel]
    handler: Callable[[Principal, Any], Awaitable[Any]]


@dataclass(frozen=True)
class EventSubscriber:
    """Calls ``handler(event)`` for domain events whose name matches ``event``.

    ``event`` is an exact name (``goal.created``), a prefix pattern (``goal.*``) or
    ``*``. Handlers run after the emitting transaction commits; they must be quick (hand
    slow work to a task) and their exceptions are logged, never raised to the emitter.
    """

    event: str
    handler: Callable[[Event], Awaitable[None] | None]
    name: str = field(default="")


# -- the hook specifications ----------------------------------------------------------


@hookspec
def register_blueprints(app: Quart) -> list[Blueprint]:
    """Return the Quart blueprints this plugin serves; each keeps its own ``url_prefix``.

    Called once per app while it is built (sync). A disabled plugin's blueprints are
    never registered: its routes answer 404 and are absent from the OpenAPI document.
    """
    raise NotImplementedError


@hookspec
def register_migrations() -> Migrations:
    """Return where this plugin's schema migrations live (see :class:`Migrations`).

    Applied by ``maigie migrate`` (and by ``maigie serve`` on the embedded default),
    after the core's own, each owner tracked separately.
    """
    raise NotImplementedError


@hookspec
def register_settings() -> type[BaseModel]:
    """Return a pydantic model validating this plugin's settings.

    The values come from the TOML table ``[plugins.NAME]`` and the environment variables
    ``MAIGIE_PLUGINS__NAME__KEY``; read them at run time with
    ``maigie_core.plugin_settings("NAME")``. Invalid values stop the app at startup with
    a message naming the plugin and the setting.
    """
    raise NotImplementedError


@hookspec
def register_tasks() -> list[TaskDefinition]:
    """Return the background and periodic tasks of this plugin.

    Build them with ``maigie_core.tasks.task`` / ``periodic_task`` (sync or ``async def``
    functions; JSON arguments). The core binds them to the app's Huey queue under their
    names, which are global: a disabled plugin's tasks are never registered, and other
    plugins enqueue them by name (``maigie_core.tasks.enqueue``) without importing them.
    """
    raise NotImplementedError


@hookspec
def register_tier_limits() -> list[TierLimit]:
    """Return the subscription limits this plugin owns (names are global, unique)."""
    raise NotImplementedError


@hookspec
def register_ai_actions() -> list[AIAction]:
    """Return the actions the assistant may take through this plugin."""
    raise NotImplementedError


@hookspec
def register_event_subscribers() -> list[EventSubscriber]:
    """Return handlers for domain events emitted by any plugin or the core."""
    raise NotImplementedError


@hookspec
def register_commands(cli: click.Group) -> None:
    """Add click commands or groups to the ``maigie`` command line."""


@hookspec(firstresult=True)
def resolve_object(kind: str, object_id: str, user: Principal) -> Mapping[str, Any] | None:
    """*First result; may be async.* Return object ``kind``/``object_id`` as ``user`` sees it.

    Answer only for the kinds this plugin owns (``None`` otherwise) and only if ``user``
    may see the object (``None`` if not): this is how one plugin reads another's objects
    (a course for a recommendation) without importing it. The result is the object as
    the REST API returns it.
    """


@hookspec
def authorize_channel(channel: str, user: Principal) -> bool | None:
    """*May be async.* May ``user`` subscribe to realtime ``channel``?

    Answer ``True``/``False`` for the channels this plugin owns (e.g. ``course:{id}``)
    and ``None`` for the rest. A channel is granted only if some plugin says ``True``
    and none says ``False``.
    """


@hookspec
def delete_user_data(user_id: str) -> None:
    """*May be async.* Delete everything this plugin stores for the user being deleted."""


@hookspec
def export_user_data(user_id: str) -> Mapping[str, Any] | None:
    """*May be async.* Return this plugin's data for a user's export, keyed by section."""


@hookspec
def apply_tier_limits(user_id: str, tier: Tier, previous_tier: Tier) -> None:
    """*May be async.* The user's tier changed: make their objects fit ``tier``.

    Called after the change is committed (admin API, CLI, a paid period ending), for
    upgrades and downgrades alike. Freeze what exceeds ``tier``'s limits (read-only:
    writes answer 403 ``SUBSCRIPTION_LIMIT_EXCEEDED``; never delete) and unfreeze what
    fits again. ``maigie_core.tiers.allowance(limit_name, tier)`` gives the numbers.
    """


@hookspec
def startup(app: Quart) -> None:
    """*May be async.* Called once when the app starts serving (database connected)."""


@hookspec
def shutdown(app: Quart) -> None:
    """*May be async.* Called once when the app stops serving (database still connected)."""
