import otp
import pytest
import settings

URL = "postgresql://db/shop"


def test_defaults_apply_when_only_the_database_is_set():
    assert settings.load({"DATABASE_URL": URL}) == {
        "port": 4000, "debug": False, "pool_size": 10, "database_url": URL,
    }


def test_parses_numbers_and_booleans():
    got = settings.load({"DATABASE_URL": URL, "PORT": "8080", "DEBUG": "true", "POOL_SIZE": "3"})
    assert got == {"port": 8080, "debug": True, "pool_size": 3, "database_url": URL}


def test_refuses_to_start_without_a_database_url():
    with pytest.raises(otp.ConfigError) as refused:
        settings.load({"PORT": "8080"})
    assert "DATABASE_URL" in str(refused.value), "the error names the missing variable"
