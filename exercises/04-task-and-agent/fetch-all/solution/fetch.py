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
    names = list(sources)
    # Unlinked: a crashing source becomes an ("exit", reason) result instead of our crash.
    tasks = [await TaskSupervisor.async_nolink("fetchers", sources[name]) for name in names]
    results = {}
    for name, (task, outcome) in zip(names, await Task.yield_many(tasks, timeout)):
        match outcome:
            case ("ok", value):
                results[name] = ("ok", value)
            case ("exit", _reason):
                results[name] = ("error", "crashed")
            case None:
                await Task.shutdown(task, "brutal_kill")  # leave nothing running
                results[name] = ("error", "timeout")
    return results
