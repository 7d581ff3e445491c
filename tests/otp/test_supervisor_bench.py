"""The restart-latency probe that `academy bench otp` calls."""

import pytest
from otp import Process
from otp._supervision_bench import measure_restart_latency

pytestmark = pytest.mark.usefixtures("no_leaks")


async def test_restart_latency_probe_times_every_restart_and_leaves_nothing_running():
    result = await measure_restart_latency(50)
    assert result.samples == 50
    assert 0 < result.median <= result.p99
    assert result.restarts_per_second > 0
    assert Process.list() == []


async def test_restart_latency_probe_restarts_siblings_under_one_for_all():
    result = await measure_restart_latency(20, strategy="one_for_all", siblings=3)
    assert result.samples == 20
    assert Process.list() == []
