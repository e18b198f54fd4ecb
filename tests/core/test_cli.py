"""The maigie command: migrate, plugins, doctor; one-line errors and exit codes."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner
from plugin_kit import plugin_with_route

from maigie_core.cli import cli


@pytest.fixture
def run(tmp_path, monkeypatch):
    """Invoke the CLI against a fresh data dir, with one in-process plugin installed."""
    from maigie_core import plugins as plugins_module

    real_host = plugins_module.PluginHost

    def host_with_alpha(**kwargs):
        kwargs.setdefault("extra", {"alpha": plugin_with_route("alpha")})
        return real_host(**kwargs)

    monkeypatch.setattr("maigie_core.cli.PluginHost", host_with_alpha)
    # Only the in-process plugin: the built-in plugins installed beside us are not the subject.
    monkeypatch.setattr("maigie_core.plugins.entry_points", lambda group: [])
    env = {"MAIGIE_DATA_DIR": str(tmp_path / "data"), "ENVIRONMENT": "development"}

    def invoke(*args: str, **extra_env: str):
        return CliRunner().invoke(cli, list(args), env={**env, **extra_env})

    return invoke


def test_migrate_applies_once(run) -> None:
    first = run("migrate")
    assert first.exit_code == 0, first.output
    assert "applied core/0001_plugin_state" in first.output
    again = run("migrate")
    assert again.exit_code == 0 and "nothing to migrate" in again.output


def test_plugins_list_and_json(run) -> None:
    text = run("plugins", "list")
    assert text.exit_code == 0
    assert "alpha local enabled hooks: register_blueprints" in text.output
    listed = json.loads(run("plugins", "list", "--json").output)
    assert listed == [
        {
            "name": "alpha",
            "version": "local",
            "module": "Plugin",
            "enabled": True,
            "active": True,
            "hooks": ["register_blueprints"],
            "error": None,
        }
    ]


def test_disable_and_enable_are_persisted(run) -> None:
    result = run("plugins", "disable", "alpha")
    assert result.exit_code == 0 and "alpha disabled" in result.output
    assert json.loads(run("plugins", "list", "--json").output)[0]["enabled"] is False
    assert run("plugins", "enable", "alpha").exit_code == 0
    assert json.loads(run("plugins", "list", "--json").output)[0]["enabled"] is True


def test_unknown_plugin_name_is_a_one_line_error(run) -> None:
    result = run("plugins", "disable", "nosuch")
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        "Error: unknown plugin 'nosuch' (installed: alpha)"
    ]


def test_doctor_reports_each_check_and_fails_on_pending_migrations(run) -> None:
    before = run("doctor")
    assert before.exit_code == 1
    assert re.search(r"FAIL migrations: \d+ pending, run `maigie migrate`", before.output)
    run("migrate")
    after = run("doctor")
    assert after.exit_code == 0, after.output
    lines = after.output.strip().splitlines()
    assert all(line.startswith("ok") for line in lines)
    assert {line.split(":")[0].split(maxsplit=1)[1] for line in lines} == {
        "settings",
        "database",
        "plugin alpha",
        "migrations",
        "redis",
    }


def test_doctor_fails_on_unreachable_database(run) -> None:
    result = run("doctor", DATABASE_URL="postgresql://nobody@127.0.0.1:1/none")
    assert result.exit_code == 1
    assert "FAIL database: postgresql://nobody@127.0.0.1:1/none" in result.output


def test_bad_settings_are_a_one_line_error(run) -> None:
    result = run("migrate", ENVIRONMENT="production")
    assert result.exit_code == 1
    assert result.output.strip().startswith("Error: SECRET_KEY must be set")
    result = run("migrate", PORT="not-a-port")
    assert result.exit_code == 1 and "setting PORT" in result.output


@pytest.mark.parametrize(
    ("choice", "expected"), [("auto", "uvloop.Loop"), ("uvloop", "uvloop.Loop"), ("asyncio", "")]
)
def test_serving_processes_run_the_loop_event_loop_names(
    make_settings, choice: str, expected: str
) -> None:
    import asyncio

    from maigie_core.cli import run_loop

    seen: list[str] = []

    async def main() -> None:
        loop = type(asyncio.get_running_loop())
        seen.append(f"{loop.__module__}.{loop.__qualname__}")

    run_loop(main(), make_settings(EVENT_LOOP=choice))
    assert seen[0] == expected if expected else seen[0].startswith("asyncio.")
