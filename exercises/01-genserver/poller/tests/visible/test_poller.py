import asyncio

import poller


async def test_ticks_every_interval():
    pid = await poller.Poller.start_link(0.02)
    await asyncio.sleep(0.2)
    ticks = await poller.Poller.ticks(pid)
    assert 3 <= ticks <= 11, "about ten ticks in 0.2 s at one every 0.02 s"


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
