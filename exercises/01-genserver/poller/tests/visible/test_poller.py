import asyncio
import time

import poller


async def test_ticks_every_interval():
    started = time.monotonic()
    pid = await poller.Poller.start_link(0.02)
    await asyncio.sleep(0.2)
    ticks = await poller.Poller.ticks(pid)
    most = (time.monotonic() - started) / 0.02 + 1
    assert 3 <= ticks <= most, "about one tick every 0.02 s"


async def test_pause_stops_the_ticks():
    pid = await poller.Poller.start_link(0.02)
    await asyncio.sleep(0.06)
    poller.Poller.pause(pid)
    paused_at = await poller.Poller.ticks(pid)
    await asyncio.sleep(0.1)
    assert await poller.Poller.ticks(pid) <= paused_at + 1, "no ticks while paused"


async def test_stop_writes_a_goodbye_line():
    pid = await poller.Poller.start_link(5.0)
    await poller.GenServer.stop(pid)
    assert poller.journal[-1] == "stopped after 0 ticks"
