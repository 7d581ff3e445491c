"""Application environment: get/fetch/put/delete, and runtime config from env variables."""

from __future__ import annotations

import itertools

import pytest
from otp import config
from otp._exceptions import ConfigError

_apps = itertools.count()


@pytest.fixture
def app() -> str:
    """A fresh application name, so tests never share environment keys."""
    return f"config_test_app_{next(_apps)}"


def test_get_env_returns_the_default_when_the_key_is_not_set(app: str) -> None:
    assert config.get_env(app, "port") is None
    assert config.get_env(app, "port", 4000) == 4000


def test_put_env_then_get_env_returns_the_value(app: str) -> None:
    config.put_env(app, "port", 8080)
    assert config.get_env(app, "port", 4000) == 8080


def test_fetch_env_raises_config_error_naming_the_app_and_the_key(app: str) -> None:
    config.put_env(app, "host", "localhost")
    with pytest.raises(ConfigError, match=rf"{app}.*'port'.*keys set: host") as info:
        config.fetch_env(app, "port")
    assert (info.value.app, info.value.key) == (app, "port")


def test_fetch_env_returns_a_set_value_even_when_it_is_none(app: str) -> None:
    config.put_env(app, "proxy", None)
    assert config.fetch_env(app, "proxy") is None


def test_delete_env_removes_the_key(app: str) -> None:
    config.put_env(app, "port", 1)
    config.delete_env(app, "port")
    config.delete_env(app, "never_set")
    assert config.all_env(app) == {}


def test_all_env_is_a_copy(app: str) -> None:
    config.put_env(app, "a", 1)
    snapshot = config.all_env(app)
    snapshot["a"] = 2
    assert config.get_env(app, "a") == 1


def test_config_from_env_parses_variables_with_their_parser(app: str) -> None:
    environ = {"SHOP_PORT": "9000", "SHOP_DEBUG": "yes", "SHOP_NAME": "corner"}
    applied = config.config_from_env(
        app,
        {
            "port": ("SHOP_PORT", int),
            "debug": config.EnvVar("SHOP_DEBUG", config.parse_bool),
            "name": "SHOP_NAME",
        },
        environ,
    )
    assert applied == {"port": 9000, "debug": True, "name": "corner"}
    assert config.all_env(app) == applied


def test_runtime_config_overrides_values_put_earlier(app: str) -> None:
    config.put_env(app, "port", 4000)
    config.config_from_env(app, {"port": ("PORT", int)}, {"PORT": "5000"})
    assert config.get_env(app, "port") == 5000


def test_an_unset_variable_keeps_the_earlier_value_or_uses_its_default(app: str) -> None:
    config.put_env(app, "port", 4000)
    config.config_from_env(
        app,
        {"port": ("PORT", int), "pool": config.EnvVar("POOL", int, default=10)},
        {},
    )
    assert config.all_env(app) == {"port": 4000, "pool": 10}


def test_a_required_variable_that_is_unset_raises_naming_it(app: str) -> None:
    with pytest.raises(ConfigError, match="DATABASE_URL is not set"):
        config.config_from_env(app, {"db": config.EnvVar("DATABASE_URL", required=True)}, {})


def test_a_variable_that_does_not_parse_raises_and_writes_nothing(app: str) -> None:
    with pytest.raises(ConfigError, match=r"PORT='eighty' cannot be read by int.*'port'"):
        config.config_from_env(
            app, {"name": ("NAME", str), "port": ("PORT", int)}, {"NAME": "x", "PORT": "eighty"}
        )
    assert config.all_env(app) == {}


def test_config_from_env_reads_the_process_environment_by_default(
    app: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTP_TEST_WORKERS", "3")
    config.config_from_env(app, {"workers": ("OTP_TEST_WORKERS", int)})
    assert config.fetch_env(app, "workers") == 3


@pytest.mark.parametrize(
    ("text", "value"), [("TRUE", True), ("on", True), ("0", False), ("", False), ("No", False)]
)
def test_parse_bool_accepts_the_usual_spellings(text: str, value: bool) -> None:
    assert config.parse_bool(text) is value


def test_parse_bool_rejects_anything_else() -> None:
    with pytest.raises(ValueError, match="expected a boolean"):
        config.parse_bool("maybe")
