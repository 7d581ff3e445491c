"""The page's websocket to the learner's kernel: our protocol, relayed to jupyter_server.

Browser -> server: ``{"op": "execute", "run": id, "code": ...}``, ``{"op": "interrupt"}``,
``{"op": "restart"}``. Server -> browser: ``{"type": "status", "state": ...}``,
``{"type": "output", "run": id, "event": KernelEvent}`` (the last one of a run is ``done``),
``{"type": "restarted"}`` and ``{"type": "failure", "run": id?, "message": ...}``.

The kernel is chosen from the signed-in user and the URL's lesson, never from anything the
browser names, so one learner's socket cannot reach another learner's kernel. The handshake
must come from our own origin (browsers send ``Origin`` on websockets; a cross-site page
cannot open this socket with the learner's cookie).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Coroutine
from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from starlette.requests import HTTPConnection

from grader.service.models import Exercise, Section, User
from grader.web.csrf import same_origin
from grader.web.kernels import KernelBridgeError, KernelKey, LearnerKernel, LearnerKernels
from grader.web.pages.session import user_of_connection

log = logging.getLogger(__name__)

router = APIRouter()

# Every kernel gets the lesson extension and the runtime before the learner's first cell.
BASE_SETUP = "%load_ext grader.notebook\nimport otp"


def setup_code_for(connection: HTTPConnection, lesson: str) -> str:
    """What to preload for a kernel: the base setup plus the lesson notebook's own setup."""
    from grader.web.pages.lessons import lesson_notebook

    lesson_setup = ""
    if not lesson.startswith("exercise:"):
        services = connection.app.state.services
        with services.session() as db:
            section = db.get(Section, lesson)
            notebook = section.notebook if section else None
        if notebook:
            path = connection.app.state.settings.content_dir / notebook
            with contextlib.suppress(Exception):
                lesson_setup = lesson_notebook(path).setup_code
    if "%load_ext grader.notebook" in lesson_setup:
        return lesson_setup
    return BASE_SETUP + ("\n" + lesson_setup if lesson_setup else "")


def _socket_user(websocket: WebSocket) -> User | None:
    with websocket.app.state.services.session() as db:
        return user_of_connection(websocket, db)


class KernelRelay:
    """One browser socket bound to one learner kernel for its lifetime."""

    def __init__(self, websocket: WebSocket, learners: LearnerKernels, key: KernelKey, setup: str):
        self.websocket = websocket
        self.learners = learners
        self.key = key
        self.setup = setup
        self.kernel: LearnerKernel | None = None
        self._send_lock = asyncio.Lock()
        self._tasks: set[asyncio.Task[None]] = set()
        self._status_task: asyncio.Task[None] | None = None

    async def send(self, message: dict[str, Any]) -> None:
        async with self._send_lock:
            with contextlib.suppress(RuntimeError, WebSocketDisconnect):
                await self.websocket.send_json(message)

    async def ensure_kernel(self) -> LearnerKernel:
        """The learner's kernel; a new one (and a fresh status feed) if the old one died."""
        kernel = await self.learners.get(self.key, self.setup)
        if kernel is not self.kernel or self._status_task is None or self._status_task.done():
            self.kernel = kernel
            if self._status_task is not None:
                self._status_task.cancel()
            self._status_task = asyncio.create_task(self._follow_status(kernel))
        return kernel

    async def _follow_status(self, kernel: LearnerKernel) -> None:
        inbox = kernel.connection.subscribe()
        try:
            while True:
                await self.send({"type": "status", "state": await inbox.get()})
        finally:
            kernel.connection.unsubscribe(inbox)

    def spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def execute(self, run: str, code: str) -> None:
        try:
            kernel = await self.ensure_kernel()
            kernel.touch()
            async for event in kernel.connection.execute(code):
                await self.send({"type": "output", "run": run, "event": event})
            kernel.touch()
        except KernelBridgeError as error:
            await self.send({"type": "failure", "run": run, "message": str(error)})

    async def interrupt(self) -> None:
        try:
            await self.learners.interrupt(self.key)
        except KernelBridgeError as error:
            await self.send({"type": "failure", "message": str(error)})

    async def restart(self) -> None:
        try:
            await self.ensure_kernel()
            await self.learners.restart(self.key)
            await self.send({"type": "restarted"})
        except KernelBridgeError as error:
            await self.send({"type": "failure", "message": str(error)})

    async def serve(self) -> None:
        await self.send({"type": "status", "state": "starting"})
        self.spawn(self._boot())
        try:
            while True:
                message = await self.websocket.receive_json()
                op = message.get("op") if isinstance(message, dict) else None
                if op == "execute" and isinstance(message.get("code"), str):
                    self.spawn(self.execute(str(message.get("run", "")), message["code"]))
                elif op == "interrupt":
                    self.spawn(self.interrupt())
                elif op == "restart":
                    self.spawn(self.restart())
        except (WebSocketDisconnect, RuntimeError, ValueError):
            pass
        finally:
            for task in [*self._tasks, self._status_task]:
                if task is not None:
                    task.cancel()

    async def _boot(self) -> None:
        try:
            kernel = await self.ensure_kernel()
        except KernelBridgeError as error:
            await self.send({"type": "failure", "message": str(error)})
            await self.send({"type": "status", "state": "dead"})
            return
        if kernel.setup_error:
            await self.send(
                {"type": "failure", "message": f"the lesson setup failed: {kernel.setup_error}"}
            )


async def _relay(websocket: WebSocket, lesson: str) -> None:
    if not same_origin(websocket.headers):
        await websocket.close(code=4403)
        return
    user = _socket_user(websocket)
    if user is None:
        await websocket.close(code=4401)
        return
    await websocket.accept()
    try:
        learners = await websocket.app.state.kernel_service.learners()
    except KernelBridgeError as error:
        await websocket.send_json({"type": "failure", "message": str(error)})
        await websocket.send_json({"type": "status", "state": "dead"})
        await websocket.close(code=1011)
        return
    key = KernelKey(str(user.id), lesson)
    setup = await asyncio.to_thread(setup_code_for, websocket, lesson)
    await KernelRelay(websocket, learners, key, setup).serve()


@router.websocket("/lessons/{slug}/kernel")
async def lesson_kernel(websocket: WebSocket, slug: str) -> None:
    with websocket.app.state.services.session() as db:
        section = db.get(Section, slug) if "\x00" not in slug else None
        known = section is not None and section.available
    if not known:
        await websocket.close(code=4404)
        return
    await _relay(websocket, slug)


@router.websocket("/exercises/{exercise_id:path}/kernel")
async def exercise_kernel(websocket: WebSocket, exercise_id: str) -> None:
    with websocket.app.state.services.session() as db:
        exercise = db.get(Exercise, exercise_id) if "\x00" not in exercise_id else None
        known = exercise is not None and exercise.active
    if not known:
        await websocket.close(code=4404)
        return
    await _relay(websocket, f"exercise:{exercise_id}")
