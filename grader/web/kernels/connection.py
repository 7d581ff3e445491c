"""One websocket to one kernel, shared by every cell the learner runs in that lesson.

A reader task owns the socket; each request registers a queue under its ``msg_id`` and the
reader routes replies and iopub messages to it by ``parent_header.msg_id``. Kernel-wide status
(busy, idle, restarting, dead) goes to every subscriber, which is how the page's status badge
follows the kernel even while cells from another tab are running.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import WebSocketException

from grader.web.kernels import messages
from grader.web.kernels.client import KernelsClient
from grader.web.kernels.errors import KernelUnavailable
from grader.web.kernels.messages import KernelEvent

# Put in a waiter's queue when its answer can no longer come (kernel restarted, socket gone).
_GONE: dict[str, Any] = {"msg_type": "__gone__"}


class KernelConnection:
    def __init__(self, client: KernelsClient, kernel_id: str) -> None:
        self.client = client
        self.kernel_id = kernel_id
        self.session = uuid.uuid4().hex
        self.state = "starting"
        self._socket: ClientConnection | None = None
        self._reader: asyncio.Task[None] | None = None
        self._waiters: dict[str, asyncio.Queue[dict[str, Any]]] = {}
        self._subscribers: set[asyncio.Queue[str]] = set()
        # Cleared while the kernel restarts: executions wait instead of reaching a dying kernel.
        self._accepting = asyncio.Event()
        self._accepting.set()

    @property
    def closed(self) -> bool:
        return self._socket is None or self._reader is None or self._reader.done()

    async def open(self, ready_timeout: float = 60.0) -> None:
        """Connect and return once the kernel has answered ``kernel_info`` (it is ready)."""
        try:
            self._socket = await connect(
                self.client.channels_url(self.kernel_id, self.session),
                additional_headers=self.client.auth_headers,
                max_size=None,
                open_timeout=10,
            )
        except (OSError, WebSocketException) as error:
            raise KernelUnavailable(f"cannot connect to the kernel: {error}") from error
        self._reader = asyncio.create_task(self._read(), name=f"kernel-reader-{self.kernel_id}")
        await self.wait_ready(ready_timeout)

    async def wait_ready(self, within: float = 60.0) -> None:
        """Ask for kernel_info until one is answered on both channels.

        The shell reply says the kernel has booted; the iopub status that goes with it says
        the server's iopub subscription is live too. Right after a (re)start the shell can
        answer while iopub messages are still dropped, and an execution's output and final
        ``idle`` would then never arrive: this is Jupyter's own "nudge".
        """
        deadline = time.monotonic() + within
        while True:
            reply = await self._request("kernel_info_request", {}, wait=2.0, with_iopub=True)
            if reply is not None:
                self._set_state("idle")
                return
            if time.monotonic() >= deadline:
                raise KernelUnavailable(f"the kernel did not become ready within {within:.0f} s")

    async def _request(
        self, msg_type: str, content: dict[str, Any], wait: float, *, with_iopub: bool = False
    ) -> dict[str, Any] | None:
        message = messages.request(msg_type, content, self.session)
        msg_id = message["header"]["msg_id"]
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._waiters[msg_id] = queue
        reply_type = msg_type.replace("_request", "_reply")
        reply: dict[str, Any] | None = None
        iopub_seen = not with_iopub
        try:
            await self._send(message)
            async with asyncio.timeout(wait):
                while reply is None or not iopub_seen:
                    answer = await queue.get()
                    if answer is _GONE:
                        raise KernelUnavailable("the kernel connection closed")
                    if answer.get("msg_type") == reply_type:
                        reply = answer
                    elif answer.get("msg_type") == "status":
                        iopub_seen = True
                return reply
        except TimeoutError:
            return None
        finally:
            self._waiters.pop(msg_id, None)

    def hold(self) -> None:
        """Queue new executions (a restart is under way) and end the ones in flight."""
        self._accepting.clear()
        self._set_state("restarting")
        self.abandon_pending()

    def release(self) -> None:
        self._accepting.set()

    async def execute(
        self, code: str, *, silent: bool = False, during_hold: bool = False
    ) -> AsyncIterator[KernelEvent]:
        """Run ``code``; yield its output events, then one ``done`` event with status and ms.

        ``during_hold`` lets the restart's own setup run while learners' cells wait.
        """
        if not during_hold:
            await self._accepting.wait()
        message = messages.execute_request(code, self.session, silent=silent)
        msg_id = message["header"]["msg_id"]
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._waiters[msg_id] = queue
        started = time.perf_counter()
        reply: dict[str, Any] | None = None
        idle = False
        try:
            await self._send(message)
            while reply is None or not idle:
                if reply is None:
                    answer = await queue.get()
                else:
                    # The reply is in; the closing `idle` (iopub) normally follows at once, but a
                    # message lost between channels must not leave the cell running forever.
                    try:
                        answer = await asyncio.wait_for(queue.get(), _IDLE_AFTER_REPLY_SECONDS)
                    except TimeoutError:
                        break
                if answer is _GONE:
                    yield {"type": "done", "status": "aborted", "count": None, "ms": _ms(started)}
                    return
                msg_type = answer.get("msg_type")
                if msg_type == "execute_reply":
                    reply = answer.get("content", {})
                elif msg_type == "status":
                    idle = answer.get("content", {}).get("execution_state") == "idle"
                else:
                    event = messages.to_event(answer)
                    if event is not None:
                        yield event
            yield {
                "type": "done",
                "status": reply.get("status", "error"),
                "count": reply.get("execution_count"),
                "ms": _ms(started),
            }
        finally:
            self._waiters.pop(msg_id, None)

    def subscribe(self) -> asyncio.Queue[str]:
        """A queue receiving every kernel state change (``busy``, ``idle``, ``restarting``...)."""
        queue: asyncio.Queue[str] = asyncio.Queue()
        self._subscribers.add(queue)
        queue.put_nowait(self.state)
        return queue

    def unsubscribe(self, queue: asyncio.Queue[str]) -> None:
        self._subscribers.discard(queue)

    def abandon_pending(self) -> None:
        """End every waiting execution: after a restart their answers will never come."""
        for queue in list(self._waiters.values()):
            queue.put_nowait(_GONE)

    async def close(self) -> None:
        socket, self._socket = self._socket, None
        if socket is not None:
            await socket.close()
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        self.abandon_pending()

    async def _send(self, message: dict[str, Any]) -> None:
        if self._socket is None:
            raise KernelUnavailable("the kernel connection is closed")
        try:
            await self._socket.send(json.dumps(message))
        except WebSocketException as error:
            raise KernelUnavailable(f"the kernel connection broke: {error}") from error

    def _set_state(self, state: str) -> None:
        if state == self.state:
            return
        self.state = state
        for queue in self._subscribers:
            queue.put_nowait(state)

    async def _read(self) -> None:
        assert self._socket is not None
        try:
            async for raw in self._socket:
                message = json.loads(raw)
                msg_type = message.get("msg_type") or message.get("header", {}).get("msg_type")
                message["msg_type"] = msg_type
                if msg_type == "status":
                    state = message.get("content", {}).get("execution_state", "")
                    if state in ("busy", "idle", "starting", "restarting", "dead"):
                        self._set_state(state)
                    if state in ("restarting", "dead"):
                        self.abandon_pending()
                parent = message.get("parent_header", {}).get("msg_id")
                waiter = self._waiters.get(parent) if parent else None
                if waiter is not None:
                    waiter.put_nowait(message)
        except WebSocketException:
            pass
        finally:
            self._set_state("dead")
            self.abandon_pending()


_IDLE_AFTER_REPLY_SECONDS = 5.0


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000.0, 1)
