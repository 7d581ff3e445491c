"""TaskSupervisor: Elixir's ``Task.Supervisor``, a DynamicSupervisor whose children are tasks.

Tasks started here are children of the supervisor (so they stop with it), not of the caller.
``async_`` also links the task to the caller; ``async_nolink`` does not, which is how a server
runs work that may crash without crashing with it: ``Task.yield_`` then returns
``("exit", reason)`` and ``Task.await_`` raises ``ExitError``.

The task process waits for its owner's handshake before running, so the owner has monitored
it (and linked, for ``async_``) before it can possibly reply or crash.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from otp._process import Pid, Process, Ref, receive, send, spawn_link
from otp._process import self as self_pid
from otp.child_spec import ChildSpec, Restart, Shutdown, child_spec
from otp.dynamic_supervisor import DynamicSupervisor
from otp.task import Task, _call, unlink_after_reply

__all__ = ["TaskSupervisor"]


@dataclass(frozen=True)
class _Owner:
    """The handshake: where to send the result and which ref to tag it with."""

    pid: Pid
    ref: Ref


class TaskSupervisor:
    """Start with ``await TaskSupervisor.start_link(name="tasks")`` (or put
    ``TaskSupervisor.child_spec(name="tasks")`` in a supervision tree)."""

    @classmethod
    async def start_link(
        cls,
        *,
        name: str | Any | None = None,
        max_restarts: int = 3,
        max_seconds: float = 5.0,
        max_children: float = math.inf,
    ) -> Pid:
        pid = await DynamicSupervisor.start_link(
            name=name,
            max_restarts=max_restarts,
            max_seconds=max_seconds,
            max_children=max_children,
        )
        assert pid is not None
        return pid

    @staticmethod
    def child_spec(arg: Mapping[str, Any] | None = None, **options: Any) -> ChildSpec:
        """A supervisor child running a TaskSupervisor; ``options`` go to ``start_link``.

        ``(TaskSupervisor, {"name": "tasks"})`` in a children list is Elixir's
        ``{Task.Supervisor, name: MyApp.TaskSupervisor}``.
        """
        options = {**(arg or {}), **options}
        overrides = {k: options.pop(k) for k in ("id", "restart", "shutdown") if k in options}
        start = functools.partial(TaskSupervisor.start_link, **options)
        spec = ChildSpec(id=TaskSupervisor, start=(start, ()), type="supervisor")
        return child_spec(spec, **overrides) if overrides else spec

    @staticmethod
    async def start_child(
        sup: Any,
        fn: Callable[..., Any],
        *args: Any,
        restart: Restart = "temporary",
        shutdown: Shutdown = 5.0,
    ) -> Pid:
        """Run ``fn(*args)`` under the supervisor, unlinked from the caller, result unused.

        Temporary by default: a task that crashes is not restarted.
        """
        spec = ChildSpec(
            id=Task, start=(Task.start_link, (fn, *args)), restart=restart, shutdown=shutdown
        )
        pid = await DynamicSupervisor.start_child(sup, spec)
        assert pid is not None
        return pid

    @staticmethod
    async def async_(
        sup: Any, fn: Callable[..., Any], *args: Any, shutdown: Shutdown = 5.0
    ) -> Task:
        """Run ``fn(*args)`` under the supervisor, linked to the caller; collect with
        ``Task.await_``."""
        return await _supervised_async(sup, fn, args, shutdown, link=True)

    @staticmethod
    async def async_nolink(
        sup: Any, fn: Callable[..., Any], *args: Any, shutdown: Shutdown = 5.0
    ) -> Task:
        """Like ``async_`` but unlinked: a crash reaches the caller only as the task's result
        (``Down`` message, ``("exit", reason)`` from ``Task.yield_``)."""
        return await _supervised_async(sup, fn, args, shutdown, link=False)

    @staticmethod
    async def children(sup: Any) -> list[Pid]:
        """Pids of the running tasks."""
        rows = await DynamicSupervisor.which_children(sup)
        return [row.pid for row in rows if isinstance(row.pid, Pid)]

    @staticmethod
    async def terminate_child(sup: Any, pid: Pid) -> None:
        await DynamicSupervisor.terminate_child(sup, pid)


async def _supervised_async(
    sup: Any,
    fn: Callable[..., Any],
    args: tuple[Any, ...],
    shutdown: Shutdown,
    *,
    link: bool,
) -> Task:
    spec = ChildSpec(
        id=Task,
        start=(_start_waiting_for_owner, (fn, args)),
        restart="temporary",
        shutdown=shutdown,
    )
    pid = await DynamicSupervisor.start_child(sup, spec)
    assert pid is not None
    if link:
        Process.link(pid)
    ref = Process.monitor(pid)
    owner = self_pid()
    send(pid, _Owner(owner, ref))
    return Task(pid, ref, owner)


async def _start_waiting_for_owner(fn: Callable[..., Any], args: tuple[Any, ...]) -> Pid:
    return spawn_link(_wait_for_owner_then_reply, fn, args)


async def _wait_for_owner_then_reply(fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
    owner: _Owner = await receive(lambda message: type(message) is _Owner)
    result = await _call(fn, args)
    send(owner.pid, (owner.ref, result))
    unlink_after_reply(owner.pid)
