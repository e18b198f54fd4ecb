"""Request and response bodies of the auth and admin routes (quart-schema + pydantic)."""

from __future__ import annotations

import re
import zoneinfo
from functools import lru_cache
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from maigie_core.hookspecs import Tier
from maigie_core.openapi import non_nullable
from maigie_core.pagination import PageQuery

_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")

AcademicLevel = Literal[
    "secondary",
    "undergraduate",
    "postgraduate",
    "doctoral",
    "professional",
    "self_taught",
    "other",
]
Weekday = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
_HHMM = r"^([01]\d|2[0-3]):[0-5]\d$"


@lru_cache(maxsize=1)
def _zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones()) | {"UTC"}


def check_timezone(value: str) -> str:
    if value not in _zones():
        raise ValueError("must be an IANA time zone name such as Europe/Paris")
    return value


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)


class EmailIn(_In):
    email: str = Field(max_length=320)

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        if not _EMAIL.match(value.strip()):
            raise ValueError("must be an email address")
        return value.strip()


class RegisterIn(EmailIn):
    password: str = Field(min_length=1, max_length=1024)
    name: str | None = Field(default=None, max_length=200)


class LoginIn(_In):
    email: str = Field(min_length=1, max_length=320)
    password: str = Field(min_length=1, max_length=1024)


class RefreshIn(_In):
    refresh_token: str = Field(min_length=1, max_length=4096)


class TokenPair(BaseModel):
    access_token: str
    refresh_token: str
    token_type: Literal["bearer"]
    expires_in: int


class AvailabilitySlot(_In):
    day: Weekday
    start: str = Field(pattern=_HHMM)
    end: str = Field(pattern=_HHMM)

    @model_validator(mode="after")
    def _ordered(self) -> AvailabilitySlot:
        if self.end <= self.start:
            raise ValueError("end must be after start")
        return self


class Preferences(BaseModel):
    interests: list[str] = []
    academic_level: AcademicLevel | None = None
    availability: list[AvailabilitySlot] = []


class PreferencesPatch(_In):
    interests: list[str] | None = Field(default=None, max_length=50)
    academic_level: AcademicLevel | None = None
    availability: list[AvailabilitySlot] | None = Field(default=None, max_length=100)

    @field_validator("interests")
    @classmethod
    def _interests(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        cleaned = [v.strip() for v in value]
        if any(not v or len(v) > 100 for v in cleaned):
            raise ValueError("each interest is 1 to 100 characters")
        return list(dict.fromkeys(cleaned))


class MeOut(BaseModel):
    id: str
    email: str
    name: str
    role: Literal["user", "admin"]
    tier: Tier
    tier_period_end: str | None
    timezone: str
    preferences: Preferences
    email_verified: bool
    has_password: bool
    created_at: str
    updated_at: str


class ExportSession(BaseModel):
    id: str
    created_at: str | None
    last_used_at: str | None
    revoked_at: str | None


class ExportOAuthAccount(BaseModel):
    provider: str
    email: str | None
    created_at: str | None


class ExportAuditEntry(BaseModel):
    action: str
    old_value: Any
    new_value: Any
    source: str | None
    created_at: str | None


class AccountExport(BaseModel):
    """``GET /auth/me/export``: the core's data and each plugin's ``export_user_data``."""

    account: MeOut
    sessions: list[ExportSession]
    oauth_accounts: list[ExportOAuthAccount]
    subscription: dict[str, Any]
    audit_log: list[ExportAuditEntry]
    plugins: dict[str, Any]


class MePatch(_In):
    # ``timezone: null`` is refused by the route (``name: null`` clears the name).
    model_config = ConfigDict(json_schema_extra=non_nullable("timezone"))

    name: str | None = Field(default=None, max_length=200)
    timezone: str | None = Field(default=None, max_length=64)
    preferences: PreferencesPatch | None = None

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str | None) -> str | None:
        return None if value is None else check_timezone(value)


class PasswordChangeIn(_In):
    current_password: str | None = Field(default=None, max_length=1024)
    new_password: str = Field(min_length=1, max_length=1024)


class PasswordResetIn(_In):
    token: str = Field(min_length=1, max_length=2048)
    new_password: str = Field(min_length=1, max_length=1024)


class TokenIn(_In):
    token: str = Field(min_length=1, max_length=2048)


class DeleteMeIn(_In):
    password: str | None = Field(default=None, max_length=1024)


class Accepted(BaseModel):
    status: str


class ProviderOut(BaseModel):
    name: str
    authorize_url: str


class ProviderList(BaseModel):
    items: list[ProviderOut]
    next_cursor: str | None = None


class OAuthCallbackQuery(BaseModel):
    code: str | None = Field(default=None, max_length=2048)
    state: str | None = Field(default=None, max_length=2048)
    error: str | None = Field(default=None, max_length=200)


class UserPageQuery(PageQuery):
    """The admin user list: the one pagination style plus an e-mail filter."""

    q: str | None = Field(default=None, max_length=320)


class AdminUserOut(BaseModel):
    id: str
    email: str
    name: str
    role: Literal["user", "admin"]
    tier: Tier
    tier_period_end: str | None
    timezone: str
    email_verified: bool
    is_active: bool
    has_password: bool
    created_at: str
    updated_at: str


class AdminUserList(BaseModel):
    items: list[AdminUserOut]
    next_cursor: str | None


class AdminUserPatch(_In):
    tier: Tier | None = None
    tier_period_end: str | None = Field(default=None, max_length=40)
    role: Literal["user", "admin"] | None = None
    is_active: bool | None = None

    @field_validator("tier_period_end")
    @classmethod
    def _until(cls, value: str | None) -> str | None:
        if value is not None:
            from maigie_core.tiers.subscriptions import parse_until

            parse_until(value)
        return value


class AuditOut(BaseModel):
    action: str
    old_value: str | None
    new_value: str | None
    source: str
    actor_id: str | None
    created_at: str


class AuditList(BaseModel):
    items: list[AuditOut]
    next_cursor: str | None = None


def password_problems(password: str, min_length: int, max_length: int) -> list[dict[str, Any]]:
    """The 422 detail for a password outside the policy (empty when acceptable)."""
    if len(password) < min_length:
        msg = f"must be at least {min_length} characters"
    elif len(password) > max_length:
        msg = f"must be at most {max_length} characters"
    elif not password.strip():
        msg = "must not be only whitespace"
    else:
        return []
    return [{"loc": ["password"], "msg": msg, "type": "value_error"}]
