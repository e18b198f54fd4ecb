"""Closing sockets whose session or account is no longer valid.

Fast path: the hub reacts to ``auth.session_ended`` (logout of that session) and
``account.deleted`` events, and re-checks a user's sockets at once whenever the auth
module invalidates that user (deactivation, deletion, password change or reset, which
sign out every session): in this process through ``UserInvalidation.listeners``, in
the others through the Redis user-invalidation channel. Safety net, on every backend:
every ``REALTIME_REVALIDATE_INTERVAL`` the sockets' users and sessions are re-read in
batches, and a socket whose user is gone, deactivated, or changed password
(``token_version``), or whose session was revoked, is closed with 4401.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from maigie_core.auth.models import AuthSession, User
from maigie_core.realtime.connection import Connection
from maigie_core.realtime.protocol import CLOSE_UNAUTHENTICATED

BATCH = 500


def _chunks(values: Iterable[str]) -> Iterable[list[str]]:
    items = sorted(set(values))
    for start in range(0, len(items), BATCH):
        yield items[start : start + BATCH]


async def close_invalid(connections: Sequence[Connection]) -> None:
    """Close the sockets among ``connections`` that their user may no longer hold."""
    users: dict[str, tuple[bool, int]] = {}
    for chunk in _chunks(c.user.id for c in connections):
        rows: Any = (
            await User.select(User.id, User.is_active, User.token_version)
            .where(User.id.in_(chunk))
            .tuples()
            .aio_execute()
        )
        users.update({str(uid): (bool(active), int(version)) for uid, active, version in rows})
    revoked: set[str] = set()
    for chunk in _chunks(c.session_id for c in connections):
        rows = (
            await AuthSession.select(AuthSession.id)
            .where(AuthSession.id.in_(chunk) & AuthSession.revoked_at.is_null(False))
            .tuples()
            .aio_execute()
        )
        revoked.update(str(sid) for (sid,) in rows)
    for conn in connections:
        state = users.get(conn.user.id)
        if state is None or not state[0] or state[1] != conn.token_version:
            conn.close(CLOSE_UNAUTHENTICATED, "SESSION_ENDED", "Your account changed; sign in")
        elif conn.session_id in revoked:
            conn.close(CLOSE_UNAUTHENTICATED, "SESSION_ENDED", "You signed out")
