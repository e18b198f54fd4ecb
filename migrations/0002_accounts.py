"""Accounts: users, refresh-token families, OAuth links and states, single-use tokens,
the mail outbox and the audit log of tier/role changes."""

import peewee

from maigie_core.db.migrations import MigrationContext


class _Base(peewee.Model):
    id = peewee.UUIDField(primary_key=True)
    created_at = peewee.DateTimeField(index=True)
    updated_at = peewee.DateTimeField()


class User(_Base):
    email = peewee.CharField(max_length=320, unique=True)
    password_hash = peewee.CharField(max_length=255, null=True)
    name = peewee.CharField(max_length=200, default="")
    role = peewee.CharField(max_length=16, default="user")
    tier = peewee.CharField(max_length=32, default="free")
    tier_period_end = peewee.DateTimeField(null=True, index=True)
    timezone = peewee.CharField(max_length=64, default="UTC")
    preferences = peewee.TextField(default="{}")
    email_verified = peewee.BooleanField(default=False)
    is_active = peewee.BooleanField(default=True)
    token_version = peewee.IntegerField(default=0)

    class Meta:
        table_name = "maigie_user"


class AuthSession(_Base):
    user_id = peewee.UUIDField(index=True)
    revoked_at = peewee.DateTimeField(null=True)
    revoke_reason = peewee.CharField(max_length=32, null=True)
    last_used_at = peewee.DateTimeField()

    class Meta:
        table_name = "maigie_auth_session"


class RefreshToken(_Base):
    session_id = peewee.UUIDField(index=True)
    user_id = peewee.UUIDField(index=True)
    expires_at = peewee.DateTimeField()
    spent_at = peewee.DateTimeField(null=True)

    class Meta:
        table_name = "maigie_refresh_token"


class OAuthAccount(_Base):
    provider = peewee.CharField(max_length=32)
    subject = peewee.CharField(max_length=255)
    user_id = peewee.UUIDField(index=True)
    email = peewee.CharField(max_length=320, null=True)

    class Meta:
        table_name = "maigie_oauth_account"
        indexes = ((("provider", "subject"), True),)


class OAuthState(_Base):
    provider = peewee.CharField(max_length=32)
    code_verifier = peewee.CharField(max_length=128)
    expires_at = peewee.DateTimeField()

    class Meta:
        table_name = "maigie_oauth_state"


class UsedToken(_Base):
    purpose = peewee.CharField(max_length=32)
    expires_at = peewee.DateTimeField(index=True)

    class Meta:
        table_name = "maigie_used_token"


class MailRecord(_Base):
    to_address = peewee.CharField(max_length=320, index=True)
    subject = peewee.CharField(max_length=300)
    body = peewee.TextField()
    purpose = peewee.CharField(max_length=32)

    class Meta:
        table_name = "maigie_mail_outbox"


class AuditEntry(_Base):
    user_id = peewee.UUIDField(index=True)
    actor_id = peewee.UUIDField(null=True)
    action = peewee.CharField(max_length=32)
    old_value = peewee.CharField(max_length=64, null=True)
    new_value = peewee.CharField(max_length=64, null=True)
    source = peewee.CharField(max_length=16)

    class Meta:
        table_name = "maigie_audit_log"


def upgrade(ctx: MigrationContext) -> None:
    ctx.create_tables(
        [
            User,
            AuthSession,
            RefreshToken,
            OAuthAccount,
            OAuthState,
            UsedToken,
            MailRecord,
            AuditEntry,
        ]
    )
