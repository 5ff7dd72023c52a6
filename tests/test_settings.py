"""Settings: defaults, environment, flags winning, clear errors on bad values."""

from __future__ import annotations

import pytest

from apilab.errors import ConfigError
from apilab.settings import SETTINGS, get_settings


def test_defaults_are_the_embedded_ones() -> None:
    settings = get_settings({})
    assert settings.backend == "offline"
    assert settings.port == 8000
    assert settings.redis_url is None
    assert settings.db_url.startswith("sqlite:///")


def test_environment_then_flags_win(tmp_path) -> None:  # type: ignore[no-untyped-def]
    env = {"APILAB_PORT": "9001", "APILAB_BACKEND": "openai", "APILAB_DATA_DIR": str(tmp_path)}
    settings = get_settings(env)
    assert settings.port == 9001 and settings.backend == "openai"
    assert settings.data_path == tmp_path
    assert get_settings(env, port=9002).port == 9002
    # None means "flag not given": the environment value stays.
    assert get_settings(env, port=None).port == 9001


def test_database_url_overrides_sqlite() -> None:
    url = "postgresql+psycopg://u@h/db"
    assert get_settings({"APILAB_DATABASE_URL": url}).db_url == url


@pytest.mark.parametrize(("var", "value"), [("APILAB_PORT", "eighty"),
                                            ("APILAB_BUDGET_FAIL_OPEN", "maybe")])
def test_bad_values_name_the_variable(var: str, value: str) -> None:
    with pytest.raises(ConfigError, match=var):
        get_settings({var: value})


def test_unknown_override_is_refused() -> None:
    with pytest.raises(ConfigError, match="Unknown setting"):
        get_settings({}, no_such_setting=1)


def test_every_setting_has_help_and_a_unique_variable() -> None:
    names = [s.env_var for s in SETTINGS]
    assert len(names) == len(set(names))
    assert all(s.help.strip() for s in SETTINGS)
