"""The kernel bridge as the web app runs it: lazy boot, and recovery from a dead server."""

from __future__ import annotations

import os
import signal
from pathlib import Path

from grader.web.kernels import KernelKey, KernelService


async def test_the_kernel_service_boots_again_after_its_server_died(tmp_path: Path) -> None:
    service = KernelService(tmp_path)
    try:
        learners = await service.learners()
        kernel = await learners.get(KernelKey("1", "lesson"), "x = 1")
        assert service.server is not None and service.server.pid is not None
        first_server = service.server
        os.kill(first_server.pid, signal.SIGKILL)
        await first_server.wait()

        again = await service.learners()
        assert again is not learners and service.server is not first_server
        fresh = await again.get(KernelKey("1", "lesson"), "x = 2")
        assert fresh.kernel_id != kernel.kernel_id
        events = [event async for event in fresh.connection.execute("print(x)")]
        assert events[0]["text"] == "2\n"
    finally:
        await service.stop()
