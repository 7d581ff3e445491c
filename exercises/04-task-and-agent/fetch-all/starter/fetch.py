import asyncio

from otp import Task, TaskSupervisor


# --- given ----------------------------------------------------------------------------------
async def start():
    return await TaskSupervisor.start_link(name="fetchers")


async def running():
    return len(await TaskSupervisor.children("fetchers"))


async def quick():
    return 10


async def slow_but_fine():
    await asyncio.sleep(0.1)
    return 20


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
