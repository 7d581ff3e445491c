"""Shared fixtures of the otp tests.

``no_leaks``: request it (or mark a module with ``pytestmark = pytest.mark.usefixtures(
"no_leaks")``) and the test fails if an otp process or an asyncio task that it started is still
alive when it ends. Leftovers get up to ``LEAK_GRACE`` seconds to finish exiting (a killed task
needs one loop turn for its cancellation to land), are then killed so the next test starts
clean, and are named in the failure.
"""

from __future__ import annotations

import asyncio

import pytest
from otp._process import Process, live_processes

LEAK_GRACE = 1.0


@pytest.fixture
async def no_leaks():
    loop = asyncio.get_running_loop()
    pids_before = set(live_processes(loop))
    tasks_before = asyncio.all_tasks(loop)
    yield
    me = asyncio.current_task()

    def leftovers() -> tuple[list, set]:
        pids = [pid for pid in live_processes(loop) if pid not in pids_before]
        tasks = {t for t in asyncio.all_tasks(loop) - tasks_before if t is not me and not t.done()}
        return pids, tasks

    pids, tasks = leftovers()
    if tasks:
        await asyncio.wait(tasks, timeout=LEAK_GRACE)
        pids, tasks = leftovers()
    if pids or tasks:
        for pid in pids:
            Process.exit(pid, "kill")
        for task in tasks:
            task.cancel()
        await asyncio.wait(tasks, timeout=LEAK_GRACE) if tasks else None
        pytest.fail(f"the test left processes {pids} and asyncio tasks {sorted(map(str, tasks))}")
