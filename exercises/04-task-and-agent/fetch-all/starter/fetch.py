import asyncio

from otp import Task, TaskSupervisor


# --- given ----------------------------------------------------------------------------------
async def start():
    return await TaskSupervisor.start_link(name="fetchers")


async def running():
    return len(await TaskSupervisor.children("fetchers"))


async def quick():
    return 10


_running = 0
_peak = 0


async def slow_but_fine():
    global _running, _peak
    _running += 1
    _peak = max(_peak, _running)
    try:
        await asyncio.sleep(0.1)
        return 20
    finally:
        _running -= 1


def peak():
    """The most slow_but_fine calls seen running at once, then reset the count."""
    global _peak
    seen, _peak = _peak, 0
    return seen


async def broken():
    raise ConnectionError("the source is down")


async def hanging():
    await asyncio.sleep(30)


# --- your part ------------------------------------------------------------------------------
async def fetch_all(sources, timeout=1.0):
    # TODO: this waits for each source in turn, and one crash takes everything down.
    results = {}
    for name, source in sources.items():
        task = Task.async_(source)
        results[name] = ("ok", await Task.await_(task, timeout))
    return results
