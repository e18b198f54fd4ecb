"""Maigie core: the app factory, the plugin contract and the services plugins use.

Plugin authors need only what is exported here; the contract itself is
``maigie_core.hookspecs`` (documented in ``docs/plugins.md``).
"""

from maigie_core.app import create_app
from maigie_core.auth import current_user, require_admin, require_user
from maigie_core.db import Model, in_transaction, transaction, utcnow
from maigie_core.errors import (
    BadRequest,
    Conflict,
    Forbidden,
    MaigieError,
    NotFound,
    RateLimited,
    ServiceUnavailable,
    SubscriptionLimitExceeded,
    Unauthorized,
    ValidationFailed,
)
from maigie_core.events import Event, emit
from maigie_core.hookspecs import (
    AIAction,
    EventSubscriber,
    Migrations,
    TierLimit,
    hookimpl,
    hookspec,
)
from maigie_core.principal import Principal
from maigie_core.responses import rfc3339
from maigie_core.runtime import plugin_settings, resolve_object, runtime
from maigie_core.settings import Settings, load_settings
from maigie_core.tasks import TaskDefinition, periodic_task, task
from maigie_core.tiers import check_limit

__all__ = [
    "AIAction",
    "BadRequest",
    "Conflict",
    "Event",
    "EventSubscriber",
    "Forbidden",
    "MaigieError",
    "Migrations",
    "Model",
    "NotFound",
    "Principal",
    "RateLimited",
    "ServiceUnavailable",
    "Settings",
    "SubscriptionLimitExceeded",
    "TaskDefinition",
    "TierLimit",
    "Unauthorized",
    "ValidationFailed",
    "check_limit",
    "create_app",
    "current_user",
    "emit",
    "hookimpl",
    "hookspec",
    "in_transaction",
    "load_settings",
    "periodic_task",
    "plugin_settings",
    "require_admin",
    "require_user",
    "resolve_object",
    "rfc3339",
    "runtime",
    "task",
    "transaction",
    "utcnow",
]
