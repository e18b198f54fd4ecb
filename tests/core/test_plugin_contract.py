"""The plugin manager: isolation of bad plugins, strict mode, async rule, enabled state."""

from __future__ import annotations

import types

import pytest
from plugin_kit import plugin_with_route
from pydantic import BaseModel

from maigie_core import create_app, hookimpl
from maigie_core.plugins import PluginError, PluginHost, hook_names
from maigie_core.runtime import runtime


class Misspelled:
    @hookimpl
    def register_blueprint(self, app):  # missing "s"
        return []


class WrongArguments:
    @hookimpl
    def resolve_object(self, kind, object_id, viewer):
        return None


def test_unknown_hook_is_refused_naming_plugin_hook_and_signature() -> None:
    with pytest.raises(PluginError) as info:
        PluginHost(extra={"typo": Misspelled()}, load_entry_points=False, strict=True)
    message = str(info.value)
    assert "'typo'" in message
    assert "register_blueprint(app)" in message
    assert "register_blueprints" in message  # the known hooks are listed


def test_bad_plugin_is_skipped_and_others_load_when_not_strict() -> None:
    host = PluginHost(
        extra={"typo": Misspelled(), "good": plugin_with_route("good"), "args": WrongArguments()},
        load_entry_points=False,
        strict=False,
    )
    assert host.records["typo"].error and not host.records["typo"].active
    assert "viewer" in (host.records["args"].error or "")
    assert [r.name for r in host.active] == ["good"]


def test_hook_with_unknown_argument_is_refused_in_strict_mode() -> None:
    with pytest.raises(PluginError, match="viewer"):
        PluginHost(extra={"args": WrongArguments()}, load_entry_points=False, strict=True)


def test_plugin_failing_to_import_is_recorded_and_skipped(monkeypatch) -> None:
    class BrokenEntryPoint:
        name, value, dist = "broken", "broken_plugin:plugin", None

        def load(self) -> object:
            raise ImportError("No module named 'broken_dependency'")

    monkeypatch.setattr("maigie_core.plugins.entry_points", lambda group: [BrokenEntryPoint()])
    host = PluginHost(load_entry_points=True, strict=False)
    record = host.records["broken"]
    assert "broken_dependency" in (record.error or "")
    assert not record.active
    with pytest.raises(PluginError, match="broken"):
        PluginHost(load_entry_points=True, strict=True)


def test_register_hooks_must_not_be_async(make_app) -> None:
    class AsyncRegister:
        @hookimpl
        async def register_blueprints(self):
            return []

    with pytest.raises(PluginError, match="must be a plain function"):
        make_app(plugins={"asyncreg": AsyncRegister()})


def test_register_hook_that_raises_names_the_plugin(make_app) -> None:
    class Raising:
        @hookimpl
        def register_tier_limits(self):
            raise RuntimeError("boom")

    with pytest.raises(PluginError, match="'raising': register_tier_limits raised"):
        make_app(plugins={"raising": Raising()})


async def test_runtime_hooks_may_be_async_and_first_result_skips_none(make_app) -> None:
    class NotMine:
        @hookimpl
        async def resolve_object(self, kind):
            return None

    class Mine:
        @hookimpl
        async def resolve_object(self, kind, object_id):
            return {"id": object_id, "kind": kind} if kind == "thing" else None

    app = make_app(plugins={"mine": Mine(), "notmine": NotMine()})
    from maigie_core import Principal, resolve_object

    async with app.app_context():
        user = Principal(id="u1", email="a@example.com")
        assert await resolve_object("thing", "42", user) == {"id": "42", "kind": "thing"}
        assert await resolve_object("other", "42", user) is None


async def test_two_apps_with_different_plugin_sets_coexist(make_app) -> None:
    app_a = make_app(plugins={"alpha": plugin_with_route("alpha")})
    app_b = make_app(plugins={"beta": plugin_with_route("beta")})
    async with app_a.test_app(), app_b.test_app():
        a, b = app_a.test_client(), app_b.test_client()
        assert (await (await a.get("/api/v1/alpha/ping")).get_json()) == {"pong": "alpha"}
        assert (await a.get("/api/v1/beta/ping")).status_code == 404
        assert (await b.get("/api/v1/beta/ping")).status_code == 200
        assert (await b.get("/api/v1/alpha/ping")).status_code == 404


async def test_disabled_plugin_routes_are_404_and_absent_from_openapi(make_app) -> None:
    from maigie_core.plugins import write_plugin_state

    first = make_app(plugins={"alpha": plugin_with_route("alpha")})
    write_plugin_state(runtime(first).db, "alpha", False)
    app = make_app(plugins={"alpha": plugin_with_route("alpha")})
    async with app.test_app():
        client = app.test_client()
        response = await client.get("/api/v1/alpha/ping")
        assert response.status_code == 404
        assert (await response.get_json())["code"] == "RESOURCE_NOT_FOUND"
        spec = await (await client.get("/openapi.json")).get_json()
        assert not any(path.startswith("/api/v1/alpha") for path in spec["paths"])
        health = await client.get("/health")
        assert health.status_code == 200
    record = runtime(app).plugins.records["alpha"]
    assert record.enabled is False and record.hooks == ["register_blueprints"]


async def test_enabled_plugin_routes_appear_in_openapi(make_app) -> None:
    app = make_app(plugins={"alpha": plugin_with_route("alpha")})
    async with app.test_app():
        spec = await (await app.test_client().get("/openapi.json")).get_json()
    assert "/api/v1/alpha/ping" in spec["paths"]
    assert "ErrorResponse" in spec["components"]["schemas"]


def test_plugin_settings_are_namespaced_and_validated(make_settings) -> None:
    class GreeterSettings(BaseModel):
        greeting: str = "hello"
        repeat: int = 1

    class Greeter:
        @hookimpl
        def register_settings(self):
            return GreeterSettings

    settings = make_settings(plugins={"greeter": {"greeting": "hi", "repeat": "3"}})
    app = create_app(settings, plugins={"greeter": Greeter()}, entry_points=False)
    assert runtime(app).plugin_settings["greeter"] == GreeterSettings(greeting="hi", repeat=3)

    bad = make_settings(plugins={"greeter": {"repeat": "many"}})
    with pytest.raises(PluginError, match="'greeter': setting repeat"):
        create_app(bad, plugins={"greeter": Greeter()}, entry_points=False)


def test_duplicate_declarations_across_plugins_are_refused(make_app) -> None:
    from maigie_core import TierLimit

    def limits_plugin() -> object:
        return types.SimpleNamespace(
            register_tier_limits=hookimpl(
                lambda: [TierLimit("ai_courses", "AI courses", {"free": 2})]
            )
        )

    declared_twice = r"tier limit 'ai_courses' is already declared by '(one|two)'"
    with pytest.raises(PluginError, match=declared_twice):
        make_app(plugins={"one": limits_plugin(), "two": limits_plugin()})


def test_every_hook_is_declared_with_a_docstring_and_annotations() -> None:
    from maigie_core import hookspecs

    for name in hook_names():
        spec = getattr(hookspecs, name)
        assert spec.__doc__ and spec.__doc__.strip(), name
        assert "return" in spec.__annotations__, name
