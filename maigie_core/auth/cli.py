"""``maigie users``: create accounts, set tiers and roles, list, expire paid periods.

Each command builds the app (so plugins' ``apply_tier_limits`` run on tier changes and
Redis invalidates the servers' caches), applies pending migrations on SQLite like
``maigie serve``, and prints one line per result or a one-line error.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import click

from maigie_core.hookspecs import TIERS
from maigie_core.settings import Settings

T = TypeVar("T")


def _run(action: Callable[[Any], Awaitable[T]]) -> T:
    """Run ``action(state)`` inside a built, connected app."""
    from maigie_core.auth.state import auth_state
    from maigie_core.cli import _build_app, _migrate, _settings
    from maigie_core.db.migrations import pending
    from maigie_core.errors import MaigieError
    from maigie_core.runtime import runtime

    settings: Settings = _settings()
    app = _build_app(settings)
    rt = runtime(app)
    if settings.database_url.startswith("sqlite"):
        _migrate(app)
    else:
        todo = pending(rt.db, rt.migrations)
        if todo:
            raise click.ClickException(f"{len(todo)} migration(s) pending: run `maigie migrate`")

    async def main() -> T:
        await rt.db.aio_connect()
        try:
            async with app.app_context():
                return await action(auth_state(app))
        finally:
            if rt.redis is not None:
                await rt.redis.aclose()
            await rt.db.aio_close()

    try:
        return asyncio.run(main())
    except MaigieError as exc:
        raise click.ClickException(exc.message) from None
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None


def _read_password(min_length: int) -> str:
    if sys.stdin.isatty():
        password: str = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    if len(password) < min_length:
        raise click.ClickException(f"password must be at least {min_length} characters")
    return password


async def _user_by_email(email: str) -> Any:
    from maigie_core.auth import accounts

    user = await accounts.find_by_email(email)
    if user is None:
        raise click.ClickException(f"no user with email {email!r}")
    return user


@click.group()
def users() -> None:
    """Manage accounts, roles and subscription tiers."""


@users.command("create")
@click.argument("email")
@click.option("--admin", is_flag=True, help="Give the account the admin role.")
@click.option("--name", default="", help="Display name.")
def users_create(email: str, admin: bool, name: str) -> None:
    """Create an account; the password is prompted for, or read from stdin."""
    from maigie_core.auth import accounts
    from maigie_core.auth.schemas import EmailIn

    try:
        EmailIn(email=email)
    except ValueError:
        raise click.ClickException(f"{email!r} is not an email address") from None
    from maigie_core.cli import _settings

    password = _read_password(_settings().PASSWORD_MIN_LENGTH)

    async def create(state: Any) -> Any:
        return await accounts.create_user(
            state,
            email,
            password,
            name=name,
            role="admin" if admin else "user",
            email_verified=True,
        )

    user = _run(create)
    click.echo(f"created {user.email} ({user.role}) {user.id}")


@users.command("set-tier")
@click.argument("email")
@click.argument("tier", type=click.Choice(TIERS))
@click.option(
    "--until",
    default=None,
    help="End of the paid period (YYYY-MM-DD); default one month or year from now.",
)
def users_set_tier(email: str, tier: str, until: str | None) -> None:
    """Change a user's subscription tier (audited; plugins freeze/unfreeze)."""
    from maigie_core.tiers.subscriptions import change_tier, parse_until

    kwargs: dict[str, Any] = {}
    if until is not None:
        try:
            kwargs["period_end"] = parse_until(until)
        except ValueError:
            raise click.ClickException(f"--until {until!r} is not a date") from None

    async def set_tier(state: Any) -> Any:
        user = await _user_by_email(email)
        return await change_tier(state, str(user.id), tier, actor_id=None, source="cli", **kwargs)

    user = _run(set_tier)
    until_text = f" until {user.tier_period_end:%Y-%m-%d}" if user.tier_period_end else ""
    click.echo(f"{user.email}: {user.tier}{until_text}")


@users.command("set-role")
@click.argument("email")
@click.argument("role", type=click.Choice(["user", "admin"]))
def users_set_role(email: str, role: str) -> None:
    """Change a user's role (audited)."""
    from maigie_core.auth import accounts

    async def set_role(state: Any) -> Any:
        user = await _user_by_email(email)
        return await accounts.set_role(state, str(user.id), role, actor_id=None, source="cli")

    user = _run(set_role)
    click.echo(f"{user.email}: {user.role}")


@users.command("list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def users_list(as_json: bool) -> None:
    """Every account: email, role, tier, status."""
    from maigie_core.auth import accounts
    from maigie_core.auth.models import User

    async def load(_state: Any) -> list[Any]:
        return list(await User.select().order_by(User.created_at).aio_execute())

    rows = _run(load)
    if as_json:
        click.echo(json.dumps([accounts.admin_user_json(u) for u in rows], indent=2))
        return
    if not rows:
        click.echo("no users")
    for u in rows:
        status = "active" if u.is_active else "inactive"
        click.echo(f"{u.email} {u.role} {u.tier} {status} {u.id}")


@users.command("expire-tiers")
def users_expire_tiers() -> None:
    """Drop paid tiers whose period has ended to free (run it daily)."""
    from maigie_core.tiers.subscriptions import expire_tiers

    expired = _run(expire_tiers)
    click.echo(f"{len(expired)} subscription(s) expired")
