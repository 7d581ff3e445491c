"""One kernel per learner per lesson: started on first use, preloaded, culled when idle.

The lesson page asks for a kernel as soon as it renders, so the kernel boots and runs the
lesson's setup (imports, the ``%load_ext`` of the lesson extension) while the learner reads;
the first cell they run then answers at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass, field

from grader.web.kernels.client import KernelsClient
from grader.web.kernels.connection import KernelConnection
from grader.web.kernels.errors import KernelBridgeError, KernelUnavailable

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class KernelKey:
    """Who owns a kernel and for which lesson; the only way the web app names a kernel."""

    learner: str
    lesson: str


@dataclass
class LearnerKernel:
    key: KernelKey
    kernel_id: str
    connection: KernelConnection
    setup_code: str
    last_used: float = field(default_factory=time.monotonic)
    setup_error: str | None = None

    def touch(self) -> None:
        self.last_used = time.monotonic()


class LearnerKernels:
    def __init__(
        self, client: KernelsClient, *, idle_seconds: float = 1800.0, per_learner: int = 3
    ) -> None:
        self.client = client
        self.idle_seconds = idle_seconds
        # Lessons and exercise pages each have a kernel; a learner hopping between many pages
        # keeps only the most recently used few.
        self.per_learner = per_learner
        self._kernels: dict[KernelKey, LearnerKernel] = {}
        self._locks: dict[KernelKey, asyncio.Lock] = {}
        self._culler: asyncio.Task[None] | None = None
        self._spare: asyncio.Task[tuple[str, KernelConnection]] | None = None
        self._spare_setup: str | None = None

    def peek(self, key: KernelKey) -> LearnerKernel | None:
        """The learner's running kernel for the lesson, without starting one."""
        return self._kernels.get(key)

    def __len__(self) -> int:
        return len(self._kernels)

    async def get(self, key: KernelKey, setup_code: str = "") -> LearnerKernel:
        """The learner's kernel for the lesson, started and preloaded when there is none."""
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:
            kernel = self._kernels.get(key)
            if kernel is not None and not kernel.connection.closed:
                kernel.touch()
                return kernel
            if kernel is not None:
                await self._forget(key, shutdown=True)
            await self._make_room_for(key.learner)
            kernel = await self._start(key, setup_code)
            self._kernels[key] = kernel
            return kernel

    async def _make_room_for(self, learner: str) -> None:
        own = sorted(
            (kernel for key, kernel in self._kernels.items() if key.learner == learner),
            key=lambda kernel: kernel.last_used,
        )
        for kernel in own[: max(0, len(own) - self.per_learner + 1)]:
            await self._forget(kernel.key, shutdown=True)

    async def _start(self, key: KernelKey, setup_code: str) -> LearnerKernel:
        booted = await self._take_spare()
        if booted is None:
            booted = await self._boot_kernel()
        kernel_id, connection = booted
        kernel = LearnerKernel(key, kernel_id, connection, setup_code)
        await self._preload(kernel)
        return kernel

    async def _boot_kernel(self, setup_code: str = "") -> tuple[str, KernelConnection]:
        kernel_id = await self.client.start_kernel()
        connection = KernelConnection(self.client, kernel_id)
        try:
            await connection.open()
            if setup_code:
                async for _ in connection.execute(setup_code, silent=True):
                    pass
        except KernelBridgeError:
            await connection.close()
            with contextlib.suppress(Exception):
                await self.client.shutdown(kernel_id)
            raise
        return kernel_id, connection

    def keep_spare(self, setup_code: str) -> None:
        """Keep one kernel booted, with ``setup_code`` run, for the next learner to take.

        Starting a kernel and importing the runtime is most of a lesson's first-open wait; a
        spare moves that wait to before the learner arrives.
        """
        self._spare_setup = setup_code
        if not self._spare_usable():
            self._spare = asyncio.create_task(self._boot_kernel(setup_code), name="spare-kernel")

    def _spare_usable(self) -> bool:
        spare = self._spare
        if spare is None:
            return False
        if not spare.done():
            return True
        return not spare.cancelled() and spare.exception() is None

    async def _take_spare(self) -> tuple[str, KernelConnection] | None:
        spare, self._spare = self._spare, None
        if spare is None:
            return None
        try:
            booted = await spare
        except (KernelBridgeError, asyncio.CancelledError):
            booted = None
        if self._spare_setup is not None:
            self.keep_spare(self._spare_setup)
        if booted is not None and booted[1].closed:
            return None
        return booted

    async def _preload(self, kernel: LearnerKernel) -> None:
        """Run the lesson's setup silently; a failure is kept to show, not raised."""
        kernel.setup_error = None
        if not kernel.setup_code.strip():
            return
        setup = kernel.connection.execute(kernel.setup_code, silent=True, during_hold=True)
        async for event in setup:
            if event["type"] == "error":
                kernel.setup_error = f"{event['ename']}: {event['evalue']}"
                log.warning("lesson %s setup failed: %s", kernel.key.lesson, kernel.setup_error)

    async def interrupt(self, key: KernelKey) -> None:
        kernel = self._require(key)
        kernel.touch()
        await self.client.interrupt(kernel.kernel_id)

    async def restart(self, key: KernelKey) -> LearnerKernel:
        """Restart with a fresh namespace, then preload the lesson's setup again."""
        kernel = self._require(key)
        kernel.touch()
        kernel.connection.hold()
        try:
            await self.client.restart(kernel.kernel_id)
            await kernel.connection.wait_ready()
            await self._preload(kernel)
        finally:
            kernel.connection.release()
        return kernel

    async def shutdown(self, key: KernelKey) -> None:
        await self._forget(key, shutdown=True)

    def _require(self, key: KernelKey) -> LearnerKernel:
        kernel = self._kernels.get(key)
        if kernel is None:
            raise KernelUnavailable("no kernel is running for this lesson; run a cell to start one")
        return kernel

    async def _forget(self, key: KernelKey, *, shutdown: bool) -> None:
        kernel = self._kernels.pop(key, None)
        if kernel is None:
            return
        await kernel.connection.close()
        if shutdown:
            with contextlib.suppress(Exception):
                await self.client.shutdown(kernel.kernel_id)

    async def cull_idle(self, now: float | None = None) -> list[KernelKey]:
        """Shut down kernels unused for ``idle_seconds``; returns whose kernels went."""
        now = time.monotonic() if now is None else now
        idle = [
            key
            for key, kernel in self._kernels.items()
            if now - kernel.last_used >= self.idle_seconds and kernel.connection.state != "busy"
        ]
        for key in idle:
            await self._forget(key, shutdown=True)
        return idle

    def start_culling(self, interval: float = 60.0) -> None:
        async def cull_forever() -> None:
            while True:
                await asyncio.sleep(interval)
                try:
                    await self.cull_idle()
                except Exception:
                    log.exception("culling idle kernels failed")

        if self._culler is None:
            self._culler = asyncio.create_task(cull_forever(), name="kernel-culler")

    async def close(self) -> None:
        """Shut down every kernel this web app started."""
        self._spare_setup = None
        spare, self._spare = self._spare, None
        if spare is not None:
            spare.cancel()
            with contextlib.suppress(BaseException):
                kernel_id, connection = await spare
                await connection.close()
                await self.client.shutdown(kernel_id)
        if self._culler is not None:
            self._culler.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._culler
            self._culler = None
        for key in list(self._kernels):
            await self._forget(key, shutdown=True)
        await self.client.close()
