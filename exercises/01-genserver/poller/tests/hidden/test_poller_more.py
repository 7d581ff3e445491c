import asyncio
import time

import poller


async def test_ticks_start_at_zero():
    pid = await poller.Poller.start_link(5.0)
    assert await poller.Poller.ticks(pid) == 0, "no tick before the first interval has passed"


async def test_resume_after_pause_ticks_again():
    pid = await poller.Poller.start_link(0.02)
    poller.Poller.pause(pid)
    paused_at = await poller.Poller.ticks(pid)
    poller.Poller.resume(pid)
    await asyncio.sleep(0.25)
    assert await poller.Poller.ticks(pid) >= paused_at + 3, "resume starts the ticks again"


async def test_resume_on_a_running_poller_keeps_the_rate():
    started = time.monotonic()
    pid = await poller.Poller.start_link(0.02)
    for _ in range(3):
        poller.Poller.resume(pid)
    await asyncio.sleep(0.2)
    ticks = await poller.Poller.ticks(pid)
    assert ticks <= (time.monotonic() - started) / 0.02 + 1, "still one tick per interval"


async def test_pause_twice_then_resume_once_ticks_again():
    pid = await poller.Poller.start_link(0.02)
    poller.Poller.pause(pid)
    poller.Poller.pause(pid)
    poller.Poller.resume(pid)
    await asyncio.sleep(0.25)
    assert await poller.Poller.ticks(pid) >= 3, "a second pause changes nothing"


async def test_stop_reports_the_ticks_counted():
    pid = await poller.Poller.start_link(0.05)
    await asyncio.sleep(0.2)
    ticks = await poller.Poller.ticks(pid)
    await poller.GenServer.stop(pid)
    count = int(poller.journal[-1].split()[2])
    assert ticks >= 1 and ticks <= count <= ticks + 2, "the goodbye line counts the ticks"
