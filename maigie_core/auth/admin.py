"""``/api/v1/admin``: list users (paginated), read one, change tier, role or status."""

from __future__ import annotations

from typing import Any

from quart import Blueprint
from quart_schema import document_response, validate_querystring

from maigie_core.auth import accounts
from maigie_core.auth.guards import current_user, require_admin
from maigie_core.auth.models import AuditEntry, User
from maigie_core.auth.schemas import (
    AdminUserList,
    AdminUserOut,
    AdminUserPatch,
    AuditList,
    UserPageQuery,
)
from maigie_core.auth.state import auth_state
from maigie_core.auth.user_cache import rfc3339
from maigie_core.bodies import validate_body
from maigie_core.errors import Conflict
from maigie_core.pagination import decode_cursor, page
from maigie_core.tiers.subscriptions import change_tier, parse_until

admin_blueprint = Blueprint("admin", __name__, url_prefix="/api/v1/admin")


@admin_blueprint.get("/users")
@require_admin
@validate_querystring(UserPageQuery)
@document_response(AdminUserList)
async def list_users(query_args: UserPageQuery) -> dict[str, Any]:
    """Every account, newest first; ``q`` filters by e-mail substring."""
    query = User.select().order_by(User.created_at.desc(), User.id.desc())
    if q := (query_args.q or "").replace("\x00", ""):  # PostgreSQL text holds no NUL
        query = query.where(User.email.contains(accounts.normalise_email(q)))
    after = decode_cursor(query_args.cursor)
    if after is not None:
        created_at, user_id = after
        query = query.where(
            (User.created_at < created_at) | ((User.created_at == created_at) & (User.id < user_id))
        )
    rows = list(await query.limit(query_args.limit + 1).aio_execute())
    return page(rows, query_args.limit, lambda u: (u.created_at, u.id), accounts.admin_user_json)


@admin_blueprint.get("/users/<user_id>")
@require_admin
@document_response(AdminUserOut)
async def get_user(user_id: str) -> dict[str, Any]:
    """One account (404 if it does not exist)."""
    return accounts.admin_user_json(await accounts.get_user(user_id))


@admin_blueprint.patch("/users/<user_id>")
@require_admin
@validate_body(AdminUserPatch)
@document_response(AdminUserOut)
async def patch_user(user_id: str, data: AdminUserPatch) -> dict[str, Any]:
    """Change a user's tier (and paid period end), role or active status; audited."""
    state = auth_state()
    actor = current_user()
    user = await accounts.get_user(user_id)
    given = data.model_fields_set
    if str(user.id) == actor.id and (
        ("role" in given and data.role != "admin") or data.is_active is False
    ):
        raise Conflict("Administrators cannot demote or deactivate themselves")
    if data.tier is not None or "tier_period_end" in given:
        kwargs: dict[str, Any] = {}
        if "tier_period_end" in given:
            kwargs["period_end"] = (
                parse_until(data.tier_period_end) if data.tier_period_end else None
            )
        await change_tier(
            state, str(user.id), data.tier or user.tier, actor_id=actor.id, source="admin", **kwargs
        )
    if data.role is not None:
        await accounts.set_role(state, str(user.id), data.role, actor_id=actor.id, source="admin")
    if data.is_active is not None:
        await accounts.set_active(
            state, str(user.id), data.is_active, actor_id=actor.id, source="admin"
        )
    return accounts.admin_user_json(await accounts.get_user(user.id))


@admin_blueprint.get("/users/<user_id>/audit")
@require_admin
@document_response(AuditList)
async def user_audit(user_id: str) -> dict[str, Any]:
    """The tier, role and status changes of one account, oldest first."""
    user = await accounts.get_user(user_id)
    entries = (
        await AuditEntry.select()
        .where(AuditEntry.user_id == user.id)
        .order_by(AuditEntry.created_at)
        .aio_execute()
    )
    return {
        "items": [
            {
                "action": e.action,
                "old_value": e.old_value,
                "new_value": e.new_value,
                "source": e.source,
                "actor_id": str(e.actor_id) if e.actor_id else None,
                "created_at": rfc3339(e.created_at),
            }
            for e in entries
        ],
        "next_cursor": None,
    }
