"""The maigie command: migrate, plugins, doctor; one-line errors and exit codes."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time

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


def _closed_port() -> int:
    import socket

    with socket.socket() as sock:  # bound, never listening: connections are refused
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize(
    "command", [["serve", "--port", "0"], ["serve", "--workers", "2", "--port", "0"], ["worker"]]
)
def test_serve_and_worker_wait_for_the_database_then_exit_with_one_line(
    tmp_path, command: list[str]
) -> None:
    url = f"postgresql://maigie:secret@127.0.0.1:{_closed_port()}/maigie"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("MAIGIE", "DATABASE"))},
        "MAIGIE_DATA_DIR": str(tmp_path / "data"),
        "DATABASE_URL": url,
        "DATABASE_STARTUP_TIMEOUT": "2",
    }
    start = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "maigie_core", *command],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    took = time.monotonic() - start
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr and "secret" not in done.stderr
    assert any("waiting for the database postgresql://maigie:***@" in line for line in lines)
    assert lines[-1].startswith("Error: the database postgresql://maigie:***@127.0.0.1:")
    assert "did not answer" in lines[-1] and "DATABASE_STARTUP_TIMEOUT" in lines[-1]
    assert took < 15  # 2 s of attempts, and Python's start


def _serve_with_uvloop(tmp_path, workers: str, module: str) -> subprocess.CompletedProcess[str]:
    """``maigie serve`` with EVENT_LOOP=uvloop and ``module`` as the uvloop it imports."""
    fake = tmp_path / "fake" / "uvloop"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text(module)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("MAIGIE", "DATABASE"))},
        "MAIGIE_DATA_DIR": str(tmp_path / "data"),
        "EVENT_LOOP": "uvloop",
        "PYTHONPATH": os.pathsep.join(
            filter(None, [str(fake.parent), os.environ.get("PYTHONPATH")])
        ),
    }
    return subprocess.run(
        [sys.executable, "-m", "maigie_core", "serve", "--workers", workers, "--port", "0"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


UVLOOP_MISSING = "Error: EVENT_LOOP=uvloop: uvloop is not installed"


@pytest.mark.parametrize("workers", ["1", "2"])
def test_uvloop_required_but_missing_stops_serve_before_it_starts(tmp_path, workers: str) -> None:
    """EVENT_LOOP=uvloop without uvloop: one line and exit 1 from ``serve`` itself, before
    it waits for the database (none is created) or starts a worker process."""
    done = _serve_with_uvloop(tmp_path, workers, 'raise ImportError("hidden by the test")\n')
    output = done.stdout + done.stderr
    assert done.returncode == 1, output
    assert "Traceback" not in output and "never awaited" not in output, output
    assert done.stderr.strip().splitlines() == [UVLOOP_MISSING], output
    assert "maigie-worker" not in output
    assert not (tmp_path / "data" / "maigie.db").exists()  # nothing was started


def test_a_worker_that_cannot_start_stops_serve_with_one_line(tmp_path) -> None:
    """A worker process that fails after the parent's checks passed (here: uvloop imports
    in the parent, not in the workers) prints one line; the parent stops the other and
    exits 1."""
    workers_only = (
        "import multiprocessing\n"
        "if multiprocessing.parent_process() is not None:  # a spawned worker\n"
        '    raise ImportError("hidden from the workers by the test")\n'
        "from asyncio import new_event_loop  # noqa: F401  (the parent only imports it)\n"
    )
    done = _serve_with_uvloop(tmp_path, "2", workers_only)
    output = done.stdout + done.stderr
    assert done.returncode == 1, output
    assert "Traceback" not in output and "never awaited" not in output, output
    assert UVLOOP_MISSING in done.stderr.splitlines(), output
    assert re.search(r"maigie-worker-\d exited \(code 1\): stopping", done.stderr), output
