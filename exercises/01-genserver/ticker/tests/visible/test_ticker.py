import asyncio

import otp
import pytest
import ticker


async def test_ticks_count_up_over_time():
    server = await ticker.Ticker.start_link(0.02)
    await asyncio.sleep(0.15)
    assert await ticker.Ticker.ticks(server) >= 2


async def test_slow_job_within_its_deadline_is_done():
    server = await ticker.Ticker.start_link(1.0)
    assert await ticker.Ticker.slow_job(server, 0.05, timeout=1.0) == "done"


async def test_slow_job_past_its_deadline_raises_call_timeout():
    server = await ticker.Ticker.start_link(1.0)
    with pytest.raises(otp.CallTimeoutError):
        await ticker.Ticker.slow_job(server, 0.5, timeout=0.05)
