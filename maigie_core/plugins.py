"""Plugin discovery, isolation, enabled state and the way the core calls hooks.

Each ``maigie.plugins`` entry point is loaded on its own: one that fails to import or
implements an unknown hook (or a known hook with unknown arguments) is recorded with
its error and skipped, and the others load. ``strict=True`` (``MAIGIE_STRICT_PLUGINS=1``)
turns such a failure into a startup error instead. Disabled plugins are loaded (so
``maigie plugins list`` can show them) but never registered: none of their hooks runs.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Any

import peewee
import pluggy

from maigie_core import hookspecs
from maigie_core.db import Database, utcnow

log = logging.getLogger("maigie.plugins")

ENTRY_POINT_GROUP = "maigie.plugins"


class PluginError(Exception):
    """A plugin could not be loaded or used; the message names the plugin."""


@dataclass
class PluginRecord:
    """What the platform knows about one installed plugin."""

    name: str
    version: str
    module: str
    enabled: bool
    hooks: list[str] = field(default_factory=list)
    error: str | None = None
    plugin: Any = None

    @property
    def active(self) -> bool:
        """Enabled and loaded without error: its hooks run."""
        return self.enabled and self.error is None

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "module": self.module,
            "enabled": self.enabled,
            "active": self.active,
            "hooks": self.hooks,
            "error": self.error,
        }


def _implemented_hooks(plugin: Any) -> list[str]:
    names = []
    for attr in dir(plugin):
        opts = getattr(getattr(plugin, attr, None), f"{hookspecs.PROJECT}_impl", None)
        if isinstance(opts, dict):
            names.append(opts.get("specname") or attr)
    return sorted(names)


def _signature(func: Any) -> str:
    try:
        return f"{func.__name__}{inspect.signature(func)}"
    except (TypeError, ValueError):
        return repr(func)


class PluginHost:
    """The plugin manager of one app: created by ``create_app``, never a global."""

    def __init__(
        self,
        *,
        enabled_state: Mapping[str, bool] | None = None,
        extra: Mapping[str, Any] | None = None,
        load_entry_points: bool = True,
        strict: bool = False,
    ) -> None:
        self.pm = pluggy.PluginManager(hookspecs.PROJECT)
        self.pm.add_hookspecs(hookspecs)
        self.strict = strict
        self.records: dict[str, PluginRecord] = {}
        state = dict(enabled_state or {})
        if load_entry_points:
            for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
                version = ep.dist.version if ep.dist is not None else "unknown"
                record = PluginRecord(ep.name, version, ep.value, state.get(ep.name, True))
                try:
                    record.plugin = ep.load()
                except Exception as exc:
                    self._fail(record, f"failed to import {ep.value}: {type(exc).__name__}: {exc}")
                    continue
                self._add(record)
        for name, plugin in (extra or {}).items():
            module = getattr(plugin, "__name__", type(plugin).__name__)
            record = PluginRecord(name, "local", module, state.get(name, True), plugin=plugin)
            self._add(record)
        self.pm.check_pending()

    def _fail(self, record: PluginRecord, error: str) -> None:
        record.error = error
        self.records[record.name] = record
        if self.strict:
            raise PluginError(f"plugin {record.name!r}: {error}")
        log.error("plugin %r skipped: %s", record.name, error)

    def _add(self, record: PluginRecord) -> None:
        if record.name in self.records:
            self._fail(record, f"a plugin named {record.name!r} is already installed")
            return
        record.hooks = _implemented_hooks(record.plugin)
        unknown = [
            h
            for h in record.hooks
            if not hasattr(self.pm.hook, h) or not getattr(self.pm.hook, h).has_spec()
        ]
        if unknown:
            func = getattr(record.plugin, unknown[0], None) or unknown[0]
            known = ", ".join(sorted(n for n in dir(hookspecs) if _is_spec(n)))
            self._fail(
                record,
                f"implements unknown hook {_signature(func)} (known hooks: {known})",
            )
            return
        if not record.enabled:
            self.records[record.name] = record
            return
        try:
            self.pm.register(record.plugin, name=record.name)
        except (pluggy.PluginValidationError, ValueError) as exc:
            self._fail(record, str(exc))
            return
        self.records[record.name] = record

    # -- calling hooks ------------------------------------------------------------------

    def _impls(self, hook_name: str) -> list[Any]:
        # pluggy calls later-registered / tryfirst implementations first.
        return list(reversed(getattr(self.pm.hook, hook_name).get_hookimpls()))

    def collect(self, hook_name: str, **kwargs: Any) -> list[tuple[str, Any]]:
        """Call a build-time ``register_*`` hook: ``[(plugin name, item), ...]``.

        Lists are flattened; ``None`` is dropped; a coroutine is refused (the async rule).
        """
        results: list[tuple[str, Any]] = []
        for impl in self._impls(hook_name):
            try:
                value = impl.function(*[kwargs[a] for a in impl.argnames])
            except PluginError:
                raise
            except Exception as exc:
                raise PluginError(
                    f"plugin {impl.plugin_name!r}: {hook_name} raised {type(exc).__name__}: {exc}"
                ) from exc
            if inspect.isawaitable(value):
                if inspect.iscoroutine(value):
                    value.close()
                raise PluginError(
                    f"plugin {impl.plugin_name!r}: {hook_name} must be a plain function, "
                    "not async (it runs while the app is built)"
                )
            if value is None:
                continue
            items = value if isinstance(value, list | tuple) else [value]
            results.extend((impl.plugin_name, item) for item in items)
        return results

    async def call(self, hook_name: str, **kwargs: Any) -> list[tuple[str, Any]]:
        """Call a run-time hook, awaiting async implementations: ``[(plugin, result)]``."""
        results = []
        for impl in self._impls(hook_name):
            value = impl.function(*[kwargs[a] for a in impl.argnames])
            if inspect.isawaitable(value):
                value = await value
            if value is not None:
                results.append((impl.plugin_name, value))
        return results

    async def first(self, hook_name: str, **kwargs: Any) -> Any:
        """Call a *first result* hook, awaiting each implementation in turn."""
        for impl in self._impls(hook_name):
            value = impl.function(*[kwargs[a] for a in impl.argnames])
            if inspect.isawaitable(value):
                value = await value
            if value is not None:
                return value
        return None

    @property
    def active(self) -> list[PluginRecord]:
        return [r for r in self.records.values() if r.active]


def _is_spec(name: str) -> bool:
    return hasattr(getattr(hookspecs, name, None), f"{hookspecs.PROJECT}_spec")


# -- persisted enabled/disabled state ----------------------------------------------------


class _PluginState(peewee.Model):
    name = peewee.CharField(primary_key=True)
    enabled = peewee.BooleanField()
    changed_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        table_name = "maigie_plugin_state"


def read_plugin_state(db: Database) -> dict[str, bool]:
    """Operator choices from the database; empty before the first migration."""
    with db.allow_sync(), _PluginState.bind_ctx(db):
        if not db.table_exists(_PluginState._meta.table_name):
            return {}
        return {row.name: row.enabled for row in _PluginState.select()}


def write_plugin_state(db: Database, name: str, enabled: bool) -> None:
    with db.allow_sync(), _PluginState.bind_ctx(db):
        (
            _PluginState.insert(name=name, enabled=enabled, changed_at=utcnow())
            .on_conflict(
                conflict_target=[_PluginState.name],
                update={_PluginState.enabled: enabled, _PluginState.changed_at: utcnow()},
            )
            .execute()
        )


def hook_names() -> list[str]:
    """Every hook of the contract, in declaration order."""
    return [n for n in vars(hookspecs) if _is_spec(n)]


def implemented_by(records: Iterable[PluginRecord], hook: str) -> list[str]:
    return [r.name for r in records if hook in r.hooks]
