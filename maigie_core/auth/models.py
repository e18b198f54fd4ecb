"""The core's account tables: users, refresh-token families, OAuth links, mail, audit."""

from __future__ import annotations

import peewee

from maigie_core.db import Model, utcnow


class User(Model):
    """An account. ``email`` is stored normalised (see ``normalise_email``)."""

    email = peewee.CharField(max_length=320, unique=True)
    password_hash = peewee.CharField(max_length=255, null=True)  # None: OAuth-only
    name = peewee.CharField(max_length=200, default="")
    role = peewee.CharField(max_length=16, default="user")
    tier = peewee.CharField(max_length=32, default="free")
    tier_period_end = peewee.DateTimeField(null=True, index=True)
    timezone = peewee.CharField(max_length=64, default="UTC")
    preferences = peewee.TextField(default="{}")  # JSON: interests, academic_level, availability
    email_verified = peewee.BooleanField(default=False)
    is_active = peewee.BooleanField(default=True)
    # Bumped when every outstanding access token must die (password change, deactivation).
    token_version = peewee.IntegerField(default=0)
    # Sessions revoked less than an access-token lifetime ago: "sid@until-epoch,...".
    # Their access tokens are refused at once instead of living until they expire.
    revoked_sessions = peewee.TextField(default="")

    class Meta:
        table_name = "maigie_user"


class AuthSession(Model):
    """A refresh-token family: one login on one device, rotated on every refresh."""

    user_id = peewee.UUIDField(index=True)
    revoked_at = peewee.DateTimeField(null=True)
    revoke_reason = peewee.CharField(max_length=32, null=True)
    last_used_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        table_name = "maigie_auth_session"


class RefreshToken(Model):
    """One refresh token of a family; ``spent_at`` is set when it is used (once)."""

    session_id = peewee.UUIDField(index=True)
    user_id = peewee.UUIDField(index=True)
    expires_at = peewee.DateTimeField()
    spent_at = peewee.DateTimeField(null=True)

    class Meta:
        table_name = "maigie_refresh_token"


class OAuthAccount(Model):
    """A provider identity (``provider`` + its stable ``subject``) linked to a user."""

    provider = peewee.CharField(max_length=32)
    subject = peewee.CharField(max_length=255)
    user_id = peewee.UUIDField(index=True)
    email = peewee.CharField(max_length=320, null=True)

    class Meta:
        table_name = "maigie_oauth_account"
        indexes = ((("provider", "subject"), True),)


class OAuthState(Model):
    """A pending authorization: the signed state's nonce and its PKCE verifier (single use)."""

    provider = peewee.CharField(max_length=32)
    code_verifier = peewee.CharField(max_length=128)
    expires_at = peewee.DateTimeField()

    class Meta:
        table_name = "maigie_oauth_state"


class UsedToken(Model):
    """The id of a single-use signed token (reset, verification) once it has been used."""

    purpose = peewee.CharField(max_length=32)
    expires_at = peewee.DateTimeField(index=True)

    class Meta:
        table_name = "maigie_used_token"


class MailRecord(Model):
    """Every mail the default mailer "sent": the offline outbox (and the tests' inbox)."""

    to_address = peewee.CharField(max_length=320, index=True)
    subject = peewee.CharField(max_length=300)
    body = peewee.TextField()
    purpose = peewee.CharField(max_length=32)

    class Meta:
        table_name = "maigie_mail_outbox"


class AuditEntry(Model):
    """A change of a user's tier, role or status: who, what, from, to, through what."""

    user_id = peewee.UUIDField(index=True)
    actor_id = peewee.UUIDField(null=True)
    action = peewee.CharField(max_length=32)
    old_value = peewee.CharField(max_length=64, null=True)
    new_value = peewee.CharField(max_length=64, null=True)
    source = peewee.CharField(max_length=16)  # admin | cli | expiry | system

    class Meta:
        table_name = "maigie_audit_log"
