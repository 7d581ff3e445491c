import apps
import otp
import pytest


async def test_declares_metrics_default_interval():
    apps.set_port("8080")
    await apps.start_all()
    assert apps.Application.get_env("metrics", "interval") == 10, "metrics brings interval=10"


async def test_start_all_twice_starts_nothing_new():
    apps.set_port("8080")
    await apps.start_all()
    assert await apps.start_all() == [], "running applications are not started again"


async def test_start_all_after_stopping_web_starts_only_web():
    apps.set_port("8080")
    await apps.start_all()
    await apps.Application.stop("web")
    assert await apps.start_all() == ["web"]


async def test_start_without_port_is_refused_and_leaves_nothing_running():
    apps.unset_port()
    with pytest.raises(otp.ConfigError):
        await apps.start_all()
    assert apps.running() == [], "a failed start stops what it had started"


async def test_stop_all_stops_only_what_runs():
    apps.set_port("8080")
    await apps.start_all()
    await apps.Application.stop("web")
    assert await apps.stop_all() == ["store", "metrics"]
    assert apps.running() == []
