"""``maigie users``: create (password from stdin), set-tier, set-role, list, expire-tiers."""

from __future__ import annotations

import asyncio
import json
import os

import pytest
from auth_support import CHEAP_HASH, Api, bearer
from click.testing import CliRunner

from maigie_core.cli import cli
from maigie_core.db import database
from maigie_core.runtime import runtime

PASSWORD = "cli password 123"


@pytest.fixture
def run(make_app, tmp_path, monkeypatch):
    from maigie_core import app as app_module

    real_host = app_module.PluginHost

    def without_installed_plugins(**kwargs):  # the CLI sees the same plugins as the tests
        return real_host(**{**kwargs, "load_entry_points": False})

    monkeypatch.setattr(app_module, "PluginHost", without_installed_plugins)
    app = make_app()  # the same database as the CLI; on PostgreSQL, truncated afterwards
    env = {
        "MAIGIE_DATA_DIR": str(tmp_path / "data"),
        "ENVIRONMENT": "development",
        **{k: str(v) for k, v in CHEAP_HASH.items()},
    }
    if os.environ.get("MAIGIE_TEST_DATABASE_URL"):
        env["DATABASE_URL"] = os.environ["MAIGIE_TEST_DATABASE_URL"]

    def invoke(*args: str, stdin: str | None = None):
        result = CliRunner().invoke(cli, ["users", *args], env=env, input=stdin)
        database.initialize(runtime(app).db)  # the CLI bound the models to its own database
        return result

    async def invoke_async(*args: str, stdin: str | None = None):
        return await asyncio.to_thread(invoke, *args, stdin=stdin)

    invoke.app = app
    invoke.in_thread = invoke_async
    return invoke


async def test_create_admin_with_password_from_stdin_then_log_in(run) -> None:
    result = await run.in_thread("create", "Root@Example.com", "--admin", stdin=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("created root@example.com (admin)")
    async with run.app.test_app():
        api = Api(run.app)
        tokens = await api.login("root@example.com", PASSWORD)
        me = await api.me(bearer(tokens["access_token"]))
        assert me["role"] == "admin" and me["email_verified"] is True


def test_create_refuses_bad_input_with_one_line(run) -> None:
    assert run("create", "ada@example.com", stdin=PASSWORD + "\n").exit_code == 0
    duplicate = run("create", "ada@example.com", stdin=PASSWORD + "\n")
    assert duplicate.exit_code == 1
    assert duplicate.output.strip().splitlines() == [
        "Error: An account with this email already exists"
    ]
    short = run("create", "bob@example.com", stdin="short\n")
    assert short.exit_code == 1 and "at least 8 characters" in short.output
    bad = run("create", "not-an-email", stdin=PASSWORD + "\n")
    assert bad.exit_code == 1 and "not an email address" in bad.output


async def test_set_tier_applies_to_a_signed_in_user(run) -> None:
    async with run.app.test_app():
        api = Api(run.app)
        headers = await api.user("ada@example.com")
        result = await run.in_thread(
            "set-tier", "ada@example.com", "premium_yearly", "--until", "2031-01-31"
        )
        assert result.exit_code == 0, result.output
        assert result.output.strip() == "ada@example.com: premium_yearly until 2031-02-01"
        me = await api.me(headers)
        assert me["tier"] == "premium_yearly"
        assert me["tier_period_end"].startswith("2031-02-01T00:00:00")


def test_set_tier_refuses_unknown_user_and_tier(run) -> None:
    missing = run("set-tier", "ghost@example.com", "free")
    assert missing.exit_code == 1
    assert missing.output.strip() == "Error: no user with email 'ghost@example.com'"
    assert run("set-tier", "ghost@example.com", "gold").exit_code == 2
    run("create", "ada@example.com", stdin=PASSWORD + "\n")
    bad_date = run("set-tier", "ada@example.com", "premium_monthly", "--until", "soon")
    assert bad_date.exit_code == 1 and "not a date" in bad_date.output


def test_list_and_set_role(run) -> None:
    run("create", "ada@example.com", stdin=PASSWORD + "\n")
    run("create", "bob@example.com", stdin=PASSWORD + "\n")
    assert run("set-role", "bob@example.com", "admin").output.strip() == "bob@example.com: admin"
    lines = run("list").output.strip().splitlines()
    assert [line.split()[:3] for line in lines] == [
        ["ada@example.com", "user", "free"],
        ["bob@example.com", "admin", "free"],
    ]
    listed = json.loads(run("list", "--json").output)
    assert {u["email"] for u in listed} == {"ada@example.com", "bob@example.com"}


def test_expire_tiers_drops_ended_periods_to_free(run) -> None:
    run("create", "ada@example.com", stdin=PASSWORD + "\n")
    run("create", "bob@example.com", stdin=PASSWORD + "\n")
    run("set-tier", "ada@example.com", "premium_monthly", "--until", "2020-01-01")
    run("set-tier", "bob@example.com", "premium_monthly")
    result = run("expire-tiers")
    assert result.output.strip() == "1 subscription(s) expired"
    tiers = {u["email"]: u["tier"] for u in json.loads(run("list", "--json").output)}
    assert tiers == {"ada@example.com": "free", "bob@example.com": "premium_monthly"}
