"""Sessions revoked within the access-token lifetime, kept on the user row.

Logging out revokes a refresh family at once, but its access tokens are stateless JWTs
that stay valid until they expire. The user row (read on every authenticated request,
or from the invalidated cache) lists those sessions so their access tokens die at once.
"""

import peewee

from maigie_core.db.migrations import MigrationContext


def upgrade(ctx: MigrationContext) -> None:
    field = peewee.TextField(default="")
    ctx.run(ctx.migrator.add_column("maigie_user", "revoked_sessions", field))
