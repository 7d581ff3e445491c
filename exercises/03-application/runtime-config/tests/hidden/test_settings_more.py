import otp
import pytest
import settings

URL = "postgresql://db/shop"


def test_parses_false_spelled_as_zero():
    assert settings.load({"DATABASE_URL": URL, "DEBUG": "0"})["debug"] is False


def test_refuses_a_port_that_is_not_a_number():
    with pytest.raises(otp.ConfigError) as refused:
        settings.load({"DATABASE_URL": URL, "PORT": "eighty"})
    assert "PORT" in str(refused.value), "the error names the bad variable"


def test_refuses_a_debug_flag_that_is_not_a_boolean():
    with pytest.raises(otp.ConfigError):
        settings.load({"DATABASE_URL": URL, "DEBUG": "maybe"})


def test_refuses_a_pool_size_that_is_not_a_number():
    with pytest.raises(otp.ConfigError):
        settings.load({"DATABASE_URL": URL, "POOL_SIZE": "lots"})
