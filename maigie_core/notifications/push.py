"""The seam for mobile push: a provider gets every new notification after its commit.

No provider ships with Maigie, so nothing leaves the machine: the default,
:class:`NoPush`, does nothing (the notification is still stored, listed and pushed to
open WebSockets). A deployment plugs one in with ``NOTIFICATIONS_PUSH_PROVIDER =
"package.module:factory"``, where ``factory(settings)`` returns a :class:`PushProvider`
(e.g. one that sends through FCM/APNs to the devices it registered for the user).
``push`` runs on the emitting request's path: hand network calls to a task.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable

from maigie_core.settings import Settings, SettingsError


@runtime_checkable
class PushProvider(Protocol):
    async def push(self, user_id: str, notification: Mapping[str, Any]) -> None:
        """Deliver ``notification`` (as ``GET /notifications`` shows it) to the user's devices."""
        ...


class NoPush:
    """The offline default: no mobile push."""

    async def push(self, user_id: str, notification: Mapping[str, Any]) -> None:
        return None


def load_push_provider(settings: Settings) -> PushProvider:
    """The provider named by ``NOTIFICATIONS_PUSH_PROVIDER`` (``NoPush`` when empty)."""
    spec = settings.NOTIFICATIONS_PUSH_PROVIDER.strip()
    if not spec:
        return NoPush()
    module_name, _, attr = spec.partition(":")
    try:
        factory = getattr(importlib.import_module(module_name), attr or "provider")
        provider = factory(settings)
    except Exception as exc:
        raise SettingsError(
            f"NOTIFICATIONS_PUSH_PROVIDER={spec!r}: {type(exc).__name__}: {exc}"
        ) from None
    if not isinstance(provider, PushProvider):
        raise SettingsError(f"NOTIFICATIONS_PUSH_PROVIDER={spec!r} is not a PushProvider")
    return provider
