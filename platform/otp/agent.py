"""Agent: a process that only holds a state, read and changed by functions sent to it.

The functions run *inside* the agent process, one at a time, so a slow function delays every
other client and a raising one crashes the agent (and the caller exits with its reason). They
may be plain functions or ``async def`` functions.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable
from typing import Any

from otp._process import Dest, Name, Pid
from otp._returns import NoReply, Ok, Reply
from otp.gen_server import DEFAULT_CALL_TIMEOUT, From, GenServer

__all__ = ["Agent"]


async def _apply(fn: Callable[..., Any], *args: Any) -> Any:
    result = fn(*args)
    if inspect.isawaitable(result):
        result = await result
    return result


class Agent(GenServer):
    """Elixir's ``Agent``: ``start``/``start_link``, ``get``, ``update``, ``get_and_update``,
    ``cast`` and ``stop``. Its child spec starts ``start_link(fn)``."""

    async def init(self, fn: Callable[[], Any]) -> Ok:
        return Ok(await _apply(fn))

    async def handle_call(self, request: Any, from_: From, state: Any) -> Reply:
        kind, fn = request
        if kind == "get":
            return Reply(await _apply(fn, state), state)
        if kind == "update":
            return Reply(None, await _apply(fn, state))
        reply, new_state = await _apply(fn, state)
        return Reply(reply, new_state)

    async def handle_cast(self, request: Any, state: Any) -> NoReply:
        return NoReply(await _apply(request, state))

    @classmethod
    async def start(cls, fn: Callable[[], Any], *, name: Name | None = None) -> Pid | None:  # type: ignore[override]
        """Start an unlinked agent whose state is ``fn()``."""
        return await super().start(fn, name=name)

    @classmethod
    async def start_link(cls, fn: Callable[[], Any], *, name: Name | None = None) -> Pid | None:  # type: ignore[override]
        """Start an agent linked to the caller whose state is ``fn()``."""
        return await super().start_link(fn, name=name)

    @staticmethod
    async def get(
        agent: Dest, fn: Callable[[Any], Any], timeout: float | None = DEFAULT_CALL_TIMEOUT
    ) -> Any:
        """``fn(state)``, computed inside the agent; the state is unchanged."""
        return await GenServer.call(agent, ("get", fn), timeout)

    @staticmethod
    async def update(
        agent: Dest, fn: Callable[[Any], Any], timeout: float | None = DEFAULT_CALL_TIMEOUT
    ) -> None:
        """Replace the state with ``fn(state)`` and wait until it is done."""
        await GenServer.call(agent, ("update", fn), timeout)

    @staticmethod
    async def get_and_update(
        agent: Dest,
        fn: Callable[[Any], tuple[Any, Any]],
        timeout: float | None = DEFAULT_CALL_TIMEOUT,
    ) -> Any:
        """``fn(state)`` returns ``(reply, new_state)``; only ``reply`` comes back."""
        return await GenServer.call(agent, ("get_and_update", fn), timeout)

    @staticmethod
    def cast(agent: Dest, fn: Callable[[Any], Any]) -> None:  # type: ignore[override]
        """Replace the state with ``fn(state)`` without waiting."""
        GenServer.cast(agent, fn)

    @staticmethod
    async def stop(agent: Dest, reason: Any = "normal", timeout: float | None = math.inf) -> None:
        """Stop the agent with ``reason`` and wait until it has exited."""
        await GenServer.stop(agent, reason, timeout)
