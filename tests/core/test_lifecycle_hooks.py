"""startup/shutdown (may be async) and register_commands."""

from __future__ import annotations

import click
from click.testing import CliRunner

from maigie_core import hookimpl
from maigie_core.cli import _add_plugin_commands


class Lifecycle:
    def __init__(self) -> None:
        self.calls: list[str] = []

    @hookimpl
    async def startup(self, app):
        # the database is connected by now
        from maigie_core.runtime import runtime

        await runtime(app).db.aio_execute_sql("SELECT 1")
        self.calls.append("startup")

    @hookimpl
    def shutdown(self):
        self.calls.append("shutdown")


async def test_startup_and_shutdown_run_once_each(make_app) -> None:
    plugin = Lifecycle()
    app = make_app(plugins={"life": plugin})
    async with app.test_app():
        assert plugin.calls == ["startup"]
    assert plugin.calls == ["startup", "shutdown"]


def test_plugins_add_cli_commands(monkeypatch, tmp_path) -> None:
    @click.command("hello")
    def hello() -> None:
        click.echo("hello from a plugin")

    class Commands:
        @hookimpl
        def register_commands(self, cli):
            cli.add_command(hello)

    from maigie_core import plugins as plugins_module

    real = plugins_module.PluginHost
    monkeypatch.setattr(
        "maigie_core.cli.PluginHost", lambda **kw: real(extra={"cmds": Commands()}, **kw)
    )
    monkeypatch.setenv("MAIGIE_DATA_DIR", str(tmp_path))
    group = click.Group("maigie")
    _add_plugin_commands(group)
    result = CliRunner().invoke(group, ["hello"])
    assert result.exit_code == 0 and result.output == "hello from a plugin\n"
