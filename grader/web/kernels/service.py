"""The kernel bridge as the web app sees it: one object started and stopped with the app.

Embedded (no ``KERNELS_URL``): a ``LocalJupyterServer`` child is launched in the background at
start-up, so pages render at once and the first kernel request waits only for what is left of
its boot. Deployed: ``KERNELS_URL`` (and ``KERNELS_TOKEN``) name a jupyter_server or Jupyter
Enterprise Gateway that the web app reaches the same way.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
from pathlib import Path

from grader.web.kernels.client import KernelsClient
from grader.web.kernels.errors import KernelBridgeError, KernelServerFailed
from grader.web.kernels.learners import LearnerKernels
from grader.web.kernels.server import LocalJupyterServer


class KernelService:
    def __init__(
        self,
        data_dir: Path,
        *,
        kernels_url: str | None = None,
        kernels_token: str | None = None,
        idle_seconds: float = 1800.0,
        exercises_dir: Path | None = None,
        spare_setup: str | None = None,
    ) -> None:
        self.data_dir = data_dir
        self.exercises_dir = exercises_dir
        self.spare_setup = spare_setup
        self.kernels_url = kernels_url
        self.kernels_token = kernels_token if kernels_token is not None else os.environ.get(
            "KERNELS_TOKEN", ""
        )
        self.idle_seconds = idle_seconds
        self.server: LocalJupyterServer | None = None
        self._ready: asyncio.Task[LearnerKernels] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        """The app's event loop; ``start`` may then be called from request threads too."""
        self._loop = loop

    def start(self) -> None:
        """Begin booting in the background (idempotent); ``learners()`` waits for it."""
        try:
            running: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is None:
            if self._loop is not None and not self._loop.is_closed():
                self._loop.call_soon_threadsafe(self.start)
            return
        self._loop = running
        if self._ready is None:
            self._ready = asyncio.create_task(self._boot(), name="kernel-service-boot")

    async def _boot(self) -> LearnerKernels:
        if self.kernels_url:
            client = KernelsClient(self.kernels_url, self.kernels_token)
        else:
            root = self.data_dir / "kernels"
            environment = {}
            if self.exercises_dir is not None and self.exercises_dir.is_dir():
                course = await asyncio.to_thread(learner_course_copy, self.exercises_dir, root)
                environment["ACADEMY_EXERCISES"] = str(course / "exercises")
            self.server = LocalJupyterServer(
                root,
                cull_idle_seconds=int(self.idle_seconds * 2),
                kernel_environment=environment,
            )
            await self.server.start()
            client = KernelsClient(self.server.url, self.server.token)
        learners = LearnerKernels(client, idle_seconds=self.idle_seconds)
        learners.start_culling(interval=min(60.0, max(1.0, self.idle_seconds / 4)))
        if self.spare_setup is not None:
            learners.keep_spare(self.spare_setup)
        return learners

    async def learners(self) -> LearnerKernels:
        """The running pool; boots it, or boots it again after a failed boot or a dead server."""
        self.start()
        ready = self._ready
        assert ready is not None
        try:
            learners = await asyncio.shield(ready)
        except KernelBridgeError:
            if self._ready is ready:
                self._ready = None  # the next request tries again
            raise
        if self.server is not None and not self.server.running and self._ready is ready:
            # The child died (killed, out of memory): its kernels are gone with it.
            self._ready = None
            await learners.close()
            await self.server.stop()
            return await self.learners()
        return learners

    async def health(self) -> tuple[bool, str]:
        if self._ready is None:
            # Lazy by design: nothing to be unhealthy about until a learner needs a kernel.
            return True, "not started yet; boots on the first lesson page"
        if not self._ready.done():
            return True, "starting"
        if self._ready.exception() is not None:
            return False, f"kernel server failed: {self._ready.exception()}"
        learners = self._ready.result()
        where = self.kernels_url or (self.server.url if self.server else "?")
        return True, f"{len(learners)} kernels on {where}"

    async def stop(self) -> None:
        ready, self._ready = self._ready, None
        if ready is not None:
            if ready.done() and ready.exception() is None:
                await ready.result().close()
            else:
                ready.cancel()
                with contextlib.suppress(asyncio.CancelledError, KernelServerFailed, Exception):
                    await ready
        if self.server is not None:
            await self.server.stop()
            self.server = None


def learner_course_copy(exercises_dir: Path, kernels_root: Path) -> Path:
    """The exercises as a learner's kernel may see them: no solutions, no hidden tests.

    The lesson extension (``%%exercise``) runs visible tests from this copy. It keeps hidden
    material out of the kernel's way; it is not a wall (see docs/ui.md, "Kernels and trust").
    """
    course = kernels_root / "course"
    target = course / "exercises"
    shutil.rmtree(target, ignore_errors=True)

    def hidden_parts(folder: str, names: list[str]) -> set[str]:
        dropped = {"solution", "__pycache__"}
        if Path(folder).name == "tests":
            dropped.add("hidden")
        return dropped & set(names)

    shutil.copytree(exercises_dir, target, ignore=hidden_parts)
    return course
