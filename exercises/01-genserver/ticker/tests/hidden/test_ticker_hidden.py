import asyncio

import otp
import pytest
import ticker


async def test_ticks_start_at_zero():
    server = await ticker.Ticker.start_link(5.0)
    assert await ticker.Ticker.ticks(server) == 0, "no tick before the first period"


async def test_ticks_follow_the_period():
    """ticks come once per period, not faster and not slower"""
    server = await ticker.Ticker.start_link(0.05)
    await asyncio.sleep(0.3)
    count = await ticker.Ticker.ticks(server)
    # About 6 expected; wide bounds so a busy machine cannot fail a correct solution.
    assert 2 <= count <= 12, "about one tick per period"


async def test_slow_job_timeout_leaves_the_server_running():
    server = await ticker.Ticker.start_link(0.02)
    with pytest.raises(otp.CallTimeoutError):
        await ticker.Ticker.slow_job(server, 0.2, timeout=0.02)
    before = await ticker.Ticker.ticks(server)
    await asyncio.sleep(0.1)
    assert await ticker.Ticker.ticks(server) > before, "the server keeps ticking after a timeout"
