"""Settings: environment variables > TOML file named by ``MAIGIE_CONFIG`` > defaults.

The defaults live in ``config/default.toml`` (installed as ``maigie_core.config``).
Keys are the environment-variable names of the original system. Plugin settings are
namespaced: TOML ``[plugins.NAME]`` tables and ``MAIGIE_PLUGINS__NAME__KEY`` variables,
validated by the pydantic model a plugin returns from ``register_settings``.
"""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

DEFAULT_SECRET_KEY = "change-me"
PLUGIN_ENV_PREFIX = "MAIGIE_PLUGINS__"


class SettingsError(Exception):
    """Settings are unusable; the message is one line an operator can act on."""


class Settings(BaseModel):
    """Validated core settings. Field names are the environment-variable names."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    APP_NAME: str = "Maigie"
    ENVIRONMENT: Literal["development", "production", "test"] = "development"
    LOG_LEVEL: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    SECRET_KEY: str = DEFAULT_SECRET_KEY
    MAIGIE_DATA_DIR: Path = Path("./data")
    DATABASE_URL: str = ""
    DATABASE_POOL_MIN: int = Field(1, ge=0)
    DATABASE_POOL_MAX: int = Field(10, ge=1)
    DATABASE_POOL_TIMEOUT: float = Field(5, gt=0)  # wait for a pooled connection, then 503
    DATABASE_CONNECT_TIMEOUT: float = Field(3, ge=1)  # a new PostgreSQL connection
    DATABASE_STATEMENT_TIMEOUT: float = Field(30, ge=0)  # PostgreSQL, requests; 0: none
    DATABASE_NETWORK_TIMEOUT: float = Field(10, ge=0)  # a silent PostgreSQL peer; 0: kernel's
    DATABASE_STARTUP_TIMEOUT: float = Field(30, ge=0)  # serve/worker wait for the database
    SQLITE_INLINE_BUDGET: float = Field(0.002, ge=0)  # s a read may run on the loop; 0: never there
    REDIS_URL: str = ""
    REDIS_KEY_PREFIX: str = "maigie:"
    REDIS_TIMEOUT: float = Field(3, gt=1)  # connect and each reply; must exceed 1 s (Huey)
    REDIS_RETRIES: int = Field(1, ge=0, le=10)  # retries of a command that failed to connect
    ACCESS_TOKEN_EXPIRE_MINUTES: int = Field(30, ge=1)
    REFRESH_TOKEN_EXPIRE_DAYS: int = Field(7, ge=1)
    CORS_ORIGINS: list[str] = []
    MAX_BODY_BYTES: int = Field(1_048_576, ge=1024)
    OAUTH_GOOGLE_CLIENT_ID: str = ""
    OAUTH_GOOGLE_CLIENT_SECRET: str = ""
    OAUTH_GITHUB_CLIENT_ID: str = ""
    OAUTH_GITHUB_CLIENT_SECRET: str = ""
    OAUTH_REDIRECT_URI: str = ""
    WEBSOCKET_HEARTBEAT_INTERVAL: float = Field(30, gt=0)
    WEBSOCKET_HEARTBEAT_TIMEOUT: float = Field(60, gt=0)
    LOGIN_RATE_PER_MINUTE: int = Field(10, ge=1)
    AI_CHAT_RATE_PER_MINUTE: int = Field(20, ge=1)
    PUBLIC_BASE_URL: str = "http://localhost:8000"
    TRUSTED_PROXIES: list[str] = []
    # -- auth and tiers (maigie_core.auth, maigie_core.tiers) --
    PASSWORD_MIN_LENGTH: int = Field(8, ge=6, le=128)
    PASSWORD_MAX_LENGTH: int = Field(128, ge=16, le=1024)
    PASSWORD_HASH_TIME_COST: int | None = Field(None, ge=1)  # None: the library default
    PASSWORD_HASH_MEMORY_KIB: int | None = Field(None, ge=8)
    PASSWORD_HASH_PARALLELISM: int | None = Field(None, ge=1)
    AUTH_CACHE_SECONDS: float = Field(30, ge=0)
    AUTH_CACHE_SIZE: int = Field(10_000, ge=0)
    EMAIL_VERIFY_EXPIRE_HOURS: int = Field(48, ge=1)
    PASSWORD_RESET_EXPIRE_MINUTES: int = Field(60, ge=1)
    MAIL_FROM: str = "Maigie <no-reply@localhost>"
    OAUTH_GOOGLE_AUTHORIZE_URL: str = "https://accounts.google.com/o/oauth2/v2/auth"
    OAUTH_GOOGLE_TOKEN_URL: str = "https://oauth2.googleapis.com/token"
    OAUTH_GOOGLE_USERINFO_URL: str = "https://openidconnect.googleapis.com/v1/userinfo"
    OAUTH_GITHUB_AUTHORIZE_URL: str = "https://github.com/login/oauth/authorize"
    OAUTH_GITHUB_TOKEN_URL: str = "https://github.com/login/oauth/access_token"
    OAUTH_GITHUB_USER_URL: str = "https://api.github.com/user"
    OAUTH_GITHUB_EMAILS_URL: str = "https://api.github.com/user/emails"
    ACCESS_LOG: bool = True
    HOST: str = "127.0.0.1"
    PORT: int = Field(8000, ge=0, le=65535)
    WORKERS: int = Field(1, ge=1)
    EVENT_LOOP: Literal["auto", "uvloop", "asyncio"] = "auto"  # auto: uvloop when installed
    STRICT_PLUGINS: bool = False
    # -- background tasks (maigie_core.tasks) --
    TASKS_WORKERS: int = Field(2, ge=1, le=64)  # consumer threads (`maigie worker`, serve)
    TASKS_EMBEDDED: bool = True  # without REDIS_URL, `maigie serve` runs the consumer too
    TASKS_PERIODIC: bool = True  # the consumer enqueues periodic tasks on their schedule
    TASKS_RESULT_TTL: int = Field(86_400, ge=1)  # seconds a result is kept (Redis)
    TASKS_HEARTBEAT_INTERVAL: float = Field(5, gt=0)
    TASKS_SHUTDOWN_TIMEOUT: float = Field(30, ge=0)  # wait for running tasks on stop
    TASKS_LOST_AFTER: float = Field(60, gt=0)  # no heartbeat this long: its tasks are settled
    TASKS_IMMEDIATE: bool = False  # unit tests only: run tasks inline when enqueued
    # -- realtime and notifications (maigie_core.realtime, maigie_core.notifications) --
    REALTIME_AUTH_TIMEOUT: float = Field(5, gt=0)  # seconds to send `auth` without ?token=
    REALTIME_MAX_MESSAGE_BYTES: int = Field(65_536, ge=256)  # larger: 1009 before buffering
    REALTIME_MAX_SUBSCRIPTIONS: int = Field(100, ge=1)  # channels per socket
    REALTIME_MESSAGES_PER_SECOND: int = Field(20, ge=1)  # client messages; twice that: 4429
    REALTIME_SEND_QUEUE: int = Field(1_000, ge=10)  # unsent messages before closing (1013)
    REALTIME_LOG_SIZE: int = Field(1_000, ge=1)  # events kept per channel for `resume`
    REALTIME_LOG_MEMORY_EVENTS: int = Field(50_000, ge=100)  # events kept in memory in all
    REALTIME_LOG_TTL: int = Field(86_400, ge=60)  # replay logs drop events older than this
    REALTIME_LOG_GLOBAL: int = Field(100_000, ge=1_000)  # Redis: catch-up stream length
    REALTIME_OUTBOX_SIZE: int = Field(10_000, ge=10)  # events held while Redis is down
    REALTIME_REVALIDATE_INTERVAL: float = Field(60, gt=0)  # re-check sockets' users/sessions
    REALTIME_COMPRESSION: bool = False  # accept permessage-deflate (memory and CPU per socket)
    NOTIFICATIONS_PUSH_PROVIDER: str = ""  # "module:factory"; empty: no mobile push
    # -- observability (maigie_core.metrics) --
    METRICS_ENABLED: bool = True  # GET /metrics (Prometheus text format)
    METRICS_TOKEN: SecretStr = SecretStr("")  # scraper's bearer token; empty: admins only
    HEALTH_CACHE_SECONDS: float = Field(1, ge=0, le=2)  # /health, /ready reuse check results
    # -- retention (maigie_core.retention; 0 keeps forever) --
    RETENTION_AUDIT_LOG_DAYS: int = Field(365, ge=0)  # tier/role/status changes
    RETENTION_FAILED_TASKS_DAYS: int = Field(30, ge=0)  # the failed-task store
    RETENTION_READ_NOTIFICATIONS_DAYS: int = Field(90, ge=0)  # read ones; unread stay
    RETENTION_MAIL_OUTBOX_DAYS: int = Field(7, ge=0)  # the offline outbox holds token links
    plugins: dict[str, dict[str, Any]] = {}

    @field_validator("CORS_ORIGINS", "TRUSTED_PROXIES", mode="before")
    @classmethod
    def _split_list(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = value.strip()
            if value.startswith("["):
                return json.loads(value)
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

    @field_validator("METRICS_TOKEN")
    @classmethod
    def _long_metrics_token(cls, value: SecretStr) -> SecretStr:
        if value.get_secret_value() and len(value.get_secret_value()) < 16:
            raise ValueError("must be empty or at least 16 characters")
        return value

    @property
    def is_production(self) -> bool:
        return self.ENVIRONMENT == "production"

    @property
    def database_url(self) -> str:
        """The database URL, defaulting to a SQLite file in the data directory."""
        if self.DATABASE_URL:
            return self.DATABASE_URL
        return f"sqlite:///{self.MAIGIE_DATA_DIR / 'maigie.db'}"

    @property
    def is_embedded(self) -> bool:
        """True on the embedded default: SQLite and no Redis."""
        return self.database_url.startswith("sqlite") and not self.REDIS_URL

    def plugin_settings(self, name: str) -> dict[str, Any]:
        """The raw settings table of plugin ``name`` (validated by the plugin manager)."""
        return dict(self.plugins.get(name, {}))

    def check_production(self) -> None:
        """Refuse unsafe production settings with a one-line reason."""
        key = self.SECRET_KEY
        if self.is_production and (not key or key == DEFAULT_SECRET_KEY or len(key) < 32):
            raise SettingsError(
                "SECRET_KEY must be set to a random value of at least 32 characters "
                "when ENVIRONMENT=production"
            )


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise SettingsError(f"MAIGIE_CONFIG names {path}, which does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"{path}: invalid TOML: {exc}") from None


def _defaults() -> dict[str, Any]:
    text = resources.files("maigie_core.config").joinpath("default.toml").read_text("utf-8")
    return tomllib.loads(text)


def _merge(base: dict[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _from_environ(environ: Mapping[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    fields = Settings.model_fields
    for key, raw in environ.items():
        if key in fields and key != "plugins":
            values[key] = raw
        elif key == "MAIGIE_STRICT_PLUGINS":
            values["STRICT_PLUGINS"] = raw
        elif key.startswith(PLUGIN_ENV_PREFIX):
            parts = key[len(PLUGIN_ENV_PREFIX) :].split("__", 1)
            if len(parts) == 2 and all(parts):
                plugin, setting = parts[0].lower(), parts[1].lower()
                values.setdefault("plugins", {}).setdefault(plugin, {})[setting] = raw
    return values


def load_settings(environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
    """Build :class:`Settings` from defaults, ``MAIGIE_CONFIG`` and the environment.

    ``overrides`` win over everything (used by tests and the CLI).
    """
    environ = os.environ if environ is None else environ
    data = _defaults()
    config_path = environ.get("MAIGIE_CONFIG")
    if config_path:
        data = _merge(data, _read_toml(Path(config_path)))
    data = _merge(data, _from_environ(environ))
    data = _merge(data, overrides)
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        first = exc.errors(include_url=False, include_input=False)[0]
        where = ".".join(str(p) for p in first["loc"])
        raise SettingsError(f"setting {where}: {first['msg']}") from None
