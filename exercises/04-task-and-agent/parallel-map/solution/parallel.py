import asyncio

from otp import Task

# --- given ----------------------------------------------------------------------------------
_running = 0
_peak = 0


async def slow_square(n, delay=0.02):
    """n * n, after a pause that is longer for smaller n; tracks how many calls overlap."""
    global _running, _peak
    _running += 1
    _peak = max(_peak, _running)
    try:
        await asyncio.sleep(delay * (10 - n % 10))
        return n * n
    finally:
        _running -= 1


async def stuck(n):
    """Never finishes in time."""
    await asyncio.sleep(5)


def peak():
    """The most calls of slow_square that ran at the same time, then reset the count."""
    global _peak
    seen, _peak = _peak, 0
    return seen


# --- your part ------------------------------------------------------------------------------
async def parallel_map(fn, items, timeout=5.0):
    tasks = [Task.async_(fn, item) for item in items]  # all started before any is awaited
    return await Task.await_many(tasks, timeout)
