"""Settings precedence (env > MAIGIE_CONFIG > defaults) and production refusals."""

from __future__ import annotations

import pytest

from maigie_core.settings import SettingsError, load_settings


def test_defaults_come_from_default_toml() -> None:
    settings = load_settings(environ={})
    assert settings.ACCESS_TOKEN_EXPIRE_MINUTES == 30
    assert settings.REFRESH_TOKEN_EXPIRE_DAYS == 7
    assert settings.WEBSOCKET_HEARTBEAT_INTERVAL == 30
    assert settings.REDIS_URL == "" and settings.is_embedded
    assert settings.database_url.endswith("data/maigie.db")


def test_environment_beats_config_file_beats_defaults(tmp_path) -> None:
    config = tmp_path / "maigie.toml"
    config.write_text('LOG_LEVEL = "WARNING"\nPORT = 9000\n[plugins.courses]\nmax = 3\n')
    settings = load_settings(environ={"MAIGIE_CONFIG": str(config), "PORT": "9100"})
    assert settings.LOG_LEVEL == "WARNING"  # from the file
    assert settings.PORT == 9100  # env wins over the file
    assert settings.plugin_settings("courses") == {"max": 3}


def test_plugin_settings_from_environment_are_namespaced() -> None:
    settings = load_settings(
        environ={"MAIGIE_PLUGINS__COURSES__MAX_AI": "5", "MAIGIE_PLUGINS__BROKEN": "x"}
    )
    assert settings.plugin_settings("courses") == {"max_ai": "5"}
    assert settings.plugin_settings("broken") == {}


def test_lists_accept_comma_separated_or_json() -> None:
    a = load_settings(environ={"CORS_ORIGINS": "https://a.example, https://b.example"})
    b = load_settings(environ={"CORS_ORIGINS": '["https://a.example"]'})
    assert a.CORS_ORIGINS == ["https://a.example", "https://b.example"]
    assert b.CORS_ORIGINS == ["https://a.example"]


@pytest.mark.parametrize("secret", ["", "change-me", "short"])
def test_production_refuses_a_missing_or_default_secret(secret: str) -> None:
    settings = load_settings(environ={"ENVIRONMENT": "production", "SECRET_KEY": secret})
    with pytest.raises(SettingsError) as info:
        settings.check_production()
    assert "\n" not in str(info.value) and "SECRET_KEY" in str(info.value)


def test_production_accepts_a_long_random_secret() -> None:
    load_settings(environ={"ENVIRONMENT": "production", "SECRET_KEY": "k" * 48}).check_production()


@pytest.mark.parametrize(
    ("environ", "where"),
    [({"PORT": "eighty"}, "PORT"), ({"ENVIRONMENT": "staging"}, "ENVIRONMENT")],
)
def test_invalid_values_are_one_line_errors(environ, where) -> None:
    with pytest.raises(SettingsError, match=f"setting {where}"):
        load_settings(environ=environ)


def test_unknown_key_in_config_file_is_refused(tmp_path) -> None:
    config = tmp_path / "maigie.toml"
    config.write_text("DATABSE_URL = 'typo'\n")
    with pytest.raises(SettingsError, match="DATABSE_URL"):
        load_settings(environ={"MAIGIE_CONFIG": str(config)})


def test_missing_config_file_is_named(tmp_path) -> None:
    with pytest.raises(SettingsError, match="does not exist"):
        load_settings(environ={"MAIGIE_CONFIG": str(tmp_path / "nope.toml")})
