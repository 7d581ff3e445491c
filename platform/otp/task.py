"""Task: run one function in its own process and collect its result (Elixir's ``Task``).

A task process sends ``(ref, result)`` to its owner and exits ``"normal"``; the owner monitors
it, so a crash arrives as a ``Down`` with the same ``ref``. Both messages are plain process
messages, so a GenServer that starts tasks can ``match`` them in ``handle_info`` exactly as an
Elixir server matches ``{ref, result}`` and ``{:DOWN, ref, ...}``.

Results of ``yield_``, ``yield_many``, ``shutdown`` and ``async_stream`` are tagged tuples:
``("ok", value)`` when the function returned, ``("exit", reason)`` when the task exited first.
"""

from __future__ import annotations

import asyncio
import inspect
import math
import os
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from otp._exceptions import CallTimeoutError, ExitError, NotTaskOwnerError, format_reason
from otp._process import Down, Pid, Process, Ref, receive, send, spawn, spawn_link
from otp._process import self as self_pid
from otp.child_spec import ChildSpec, child_spec

__all__ = ["NotTaskOwnerError", "Task", "TaskResult"]

# Down reasons after which Task.shutdown reports "stopped while running" (None); "noproc" means
# the task was already gone and its result already collected.
_STOPPED = ("shutdown", "killed", "noproc")

TaskResult = tuple[Literal["ok"], Any] | tuple[Literal["exit"], Any]
"""``("ok", value)`` or ``("exit", reason)``: match it with ``case ("ok", value):``."""


@dataclass(frozen=True)
class Task:
    """A running task: its ``pid``, the monitor ``ref`` tagging its reply, and its ``owner``.

    The class also holds Elixir's ``Task`` functions: ``Task.async_(fn)``,
    ``await Task.await_(task)`` and the rest.
    """

    pid: Pid
    ref: Ref
    owner: Pid

    # -- starting ------------------------------------------------------------------------------

    @staticmethod
    def async_(fn: Callable[..., Any], *args: Any) -> Task:
        """Run ``fn(*args)`` in a new process linked to the caller; collect it with ``await_``.

        ``fn`` may be an ``async def`` function or a plain one (a plain one runs on the event
        loop, so keep it short). The link means a crash in the task kills the caller.
        """
        cell: list[Ref] = []
        owner = self_pid()
        pid = spawn_link(_reply_to_owner, owner, cell, fn, args)
        ref = Process.monitor(pid)
        cell.append(ref)  # the task has not run yet: it reads the ref only after we yield
        return Task(pid, ref, owner)

    @staticmethod
    async def start(fn: Callable[..., Any], *args: Any) -> Pid:
        """Run ``fn(*args)`` in an unlinked process whose result nobody collects."""
        return spawn(_run_only, fn, args)

    @staticmethod
    async def start_link(fn: Callable[..., Any], *args: Any) -> Pid:
        """Like ``start`` but linked; what a supervisor calls for a ``(Task, fn)`` child."""
        return spawn_link(_run_only, fn, args)

    @classmethod
    def child_spec(cls, arg: Any = None, **overrides: Any) -> ChildSpec:
        """``(Task, fn)`` in a children list: a temporary worker running ``fn()``."""
        fn, args = (arg[0], tuple(arg[1:])) if isinstance(arg, tuple) else (arg, ())
        spec = ChildSpec(id=Task, start=(Task.start_link, (fn, *args)), restart="temporary")
        return child_spec(spec, **overrides) if overrides else spec

    # -- collecting ----------------------------------------------------------------------------

    @staticmethod
    async def await_(task: Task, timeout: float | None = 5.0) -> Any:
        """The task's result. Raises ``CallTimeoutError`` after ``timeout`` seconds (the task
        keeps running; its late reply is dropped) and ``ExitError(reason)`` if it exited."""
        _check_owner(task)
        try:
            message = await receive(_reply_or_down(task.ref), timeout=_seconds(timeout))
        except TimeoutError:
            Process.demonitor(task.ref, flush=True)
            raise _timeout_error("await_", task, timeout) from None
        if type(message) is Down:
            raise _task_exit_error(task, message.reason)
        Process.demonitor(task.ref, flush=True)
        return message[1]

    @staticmethod
    async def await_many(tasks: Sequence[Task], timeout: float | None = 5.0) -> list[Any]:
        """The results of all ``tasks``, in the order given (not the order they finished)."""
        pending = _owned_refs(tasks)
        results: list[Any] = [None] * len(tasks)
        deadline = _deadline(timeout)
        while pending:
            try:
                index, message = await _next_answer(pending, deadline)
            except TimeoutError:
                _forget(pending)
                raise _timeout_error("await_many", tasks, timeout) from None
            if type(message) is Down:
                _forget(pending)
                raise _task_exit_error(tasks[index], message.reason)
            ref, value = message
            results[index] = value
            Process.demonitor(ref, flush=True)
        return results

    @staticmethod
    async def yield_(task: Task, timeout: float | None = 5.0) -> TaskResult | None:
        """``("ok", value)``, ``("exit", reason)``, or ``None`` if still running after
        ``timeout`` (the task keeps running and may be yielded again)."""
        _check_owner(task)
        try:
            message = await receive(_reply_or_down(task.ref), timeout=_seconds(timeout))
        except TimeoutError:
            return None
        return _as_result(message)

    @staticmethod
    async def yield_many(
        tasks: Sequence[Task], timeout: float | None = 5.0
    ) -> list[tuple[Task, TaskResult | None]]:
        """Wait up to ``timeout`` for all ``tasks``; pairs ``(task, result or None)`` in order."""
        pending = _owned_refs(tasks)
        results: list[TaskResult | None] = [None] * len(tasks)
        deadline = _deadline(timeout)
        while pending:
            try:
                index, message = await _next_answer(pending, deadline)
            except TimeoutError:
                break
            results[index] = _as_result(message)
        return list(zip(tasks, results, strict=True))

    @staticmethod
    async def shutdown(
        task: Task, timeout: float | Literal["brutal_kill"] = 5.0
    ) -> TaskResult | None:
        """Stop the task: ``None`` if it was stopped while running, ``("ok", value)`` if it
        had already finished, ``("exit", reason)`` if it had already exited abnormally.

        The task gets the exit signal ``"shutdown"`` and ``timeout`` seconds to stop before it
        is killed; ``"brutal_kill"`` kills it at once.
        """
        _check_owner(task)
        # A monitor of our own: the task's may be gone already (a caught await_ timeout).
        watch = Process.monitor(task.pid)
        outcome = _reply_or_down_of_any({task.ref: None, watch: None})
        Process.unlink(task.pid)
        if timeout == "brutal_kill":
            Process.exit(task.pid, "kill")
            message = await receive(outcome)
        else:
            Process.exit(task.pid, "shutdown")
            try:
                message = await receive(outcome, timeout=_seconds(timeout))
            except TimeoutError:
                Process.exit(task.pid, "kill")
                message = await receive(outcome)
        Process.demonitor(watch, flush=True)
        Process.demonitor(task.ref, flush=True)
        if type(message) is Down:
            return None if message.reason in _STOPPED else ("exit", message.reason)
        return ("ok", message[1])

    # -- streams -------------------------------------------------------------------------------

    @staticmethod
    def async_stream(
        items: Iterable[Any] | AsyncIterable[Any],
        fn: Callable[[Any], Any],
        *,
        max_concurrency: int | None = None,
        ordered: bool = True,
        timeout: float | None = 5.0,
        on_timeout: Literal["exit", "kill_task"] = "exit",
    ) -> AsyncIterator[TaskResult]:
        """Run ``fn(item)`` for every item in linked tasks, at most ``max_concurrency`` at once
        (default: ``os.cpu_count()``), yielding ``("ok", value)`` / ``("exit", reason)``.

        ``ordered=True`` yields in input order; ``False`` in completion order. Each task gets
        ``timeout`` seconds; then ``on_timeout="exit"`` raises ``CallTimeoutError`` in the
        consumer, ``"kill_task"`` kills that task and yields ``("exit", "timeout")``. Tasks
        still running when the consumer stops iterating are killed.
        """
        if on_timeout not in ("exit", "kill_task"):
            raise ValueError(f'on_timeout must be "exit" or "kill_task", got {on_timeout!r}')
        limit = max_concurrency if max_concurrency is not None else (os.cpu_count() or 1)
        if limit < 1:
            raise ValueError(f"max_concurrency must be >= 1, got {limit}")
        return _stream(items, fn, limit, ordered, _seconds(timeout), on_timeout)


# -- task bodies -------------------------------------------------------------------------------


async def _call(fn: Callable[..., Any], args: tuple[Any, ...]) -> Any:
    result = fn(*args)
    if inspect.isawaitable(result):
        result = await result
    return result


async def _reply_to_owner(
    owner: Pid, cell: list[Ref], fn: Callable[..., Any], args: tuple[Any, ...]
) -> None:
    result = await _call(fn, args)
    send(owner, (cell[0], result))
    unlink_after_reply(owner)


def unlink_after_reply(owner: Pid) -> None:
    """Drop the link to the owner once the reply is sent.

    The reply already carries the outcome; left linked, the task's normal exit would put an
    ``Exit(pid, "normal")`` in every trapping owner's mailbox (the shell traps exits), where
    thousands of them pile up and slow down each later selective receive.
    """
    Process.unlink(owner)


async def _run_only(fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
    await _call(fn, args)


# -- receiving ---------------------------------------------------------------------------------


def _seconds(timeout: float | None) -> float | None:
    return None if timeout is None or timeout == math.inf else timeout


def _reply_or_down(ref: Ref) -> Callable[[Any], bool]:
    def match(message: Any) -> bool:
        kind = type(message)
        if kind is tuple:
            return len(message) == 2 and message[0] is ref
        return kind is Down and message.ref is ref

    return match


def _reply_or_down_of_any(refs: dict[Ref, Any]) -> Callable[[Any], bool]:
    def match(message: Any) -> bool:
        kind = type(message)
        if kind is tuple:
            return len(message) == 2 and type(message[0]) is Ref and message[0] in refs
        return kind is Down and message.ref in refs

    return match


def _owned_refs(tasks: Sequence[Task]) -> dict[Ref, int]:
    """Each task's ref mapped to its position, once every task is checked to be the caller's."""
    for task in tasks:
        _check_owner(task)
    return {task.ref: index for index, task in enumerate(tasks)}


def _deadline(timeout: float | None) -> float | None:
    """The loop time by which tasks awaited together must have answered; ``None``: never."""
    seconds = _seconds(timeout)
    return None if seconds is None else asyncio.get_running_loop().time() + seconds


async def _next_answer(pending: dict[Ref, int], deadline: float | None) -> tuple[int, Any]:
    """The next reply or ``Down`` among the ``pending`` tasks, with that task's position, which
    leaves ``pending``; ``TimeoutError`` once ``deadline`` has passed with none arrived."""
    left = None if deadline is None else max(0.0, deadline - asyncio.get_running_loop().time())
    message = await receive(_reply_or_down_of_any(pending), timeout=left)
    ref = message.ref if type(message) is Down else message[0]
    return pending.pop(ref), message


def _as_result(message: Any) -> TaskResult:
    if type(message) is Down:
        return ("exit", message.reason)
    Process.demonitor(message[0], flush=True)
    return ("ok", message[1])


def _forget(pending: dict[Ref, int]) -> None:
    for ref in pending:
        Process.demonitor(ref, flush=True)


def _check_owner(task: Task) -> None:
    me = self_pid()
    if task.owner is not me:
        raise NotTaskOwnerError(task, me)


def _timeout_error(function: str, subject: Any, timeout: float | None) -> CallTimeoutError:
    return CallTimeoutError(subject, None, timeout, call=f"Task.{function}")


def _task_exit_error(task: Task, reason: Any) -> ExitError:
    return ExitError(
        reason,
        f"{task!r} exited with reason {format_reason(reason)} before replying",
    )


# -- async_stream ------------------------------------------------------------------------------


@dataclass
class _Running:
    index: int
    pid: Pid
    deadline: float | None


async def _stream(
    items: Iterable[Any] | AsyncIterable[Any],
    fn: Callable[[Any], Any],
    limit: int,
    ordered: bool,
    timeout: float | None,
    on_timeout: str,
) -> AsyncIterator[TaskResult]:
    owner = self_pid()
    loop = asyncio.get_running_loop()
    source = _aiter(items)
    running: dict[Ref, _Running] = {}
    finished: dict[int, TaskResult] = {}
    next_index = 0
    next_out = 0
    exhausted = False
    try:
        while True:
            while not exhausted and len(running) < limit:
                try:
                    item = await anext(source)
                except StopAsyncIteration:
                    exhausted = True
                    break
                cell: list[Ref] = []
                pid = spawn_link(_reply_to_owner, owner, cell, fn, (item,))
                ref = Process.monitor(pid)
                cell.append(ref)
                deadline = None if timeout is None else loop.time() + timeout
                running[ref] = _Running(next_index, pid, deadline)
                next_index += 1
            if ordered:
                while next_out in finished:
                    yield finished.pop(next_out)
                    next_out += 1
            if not running:
                if exhausted:
                    return
                continue
            deadlines = [r.deadline for r in running.values() if r.deadline is not None]
            left = max(0.0, min(deadlines) - loop.time()) if deadlines else None
            try:
                message = await receive(_reply_or_down_of_any(running), timeout=left)
            except TimeoutError:
                now = loop.time()
                for ref, task in list(running.items()):
                    if task.deadline is None or task.deadline > now:
                        continue
                    if on_timeout == "exit":
                        raise _timeout_error("async_stream", fn, timeout) from None
                    del running[ref]
                    _kill_quietly(task.pid, ref)
                    result: TaskResult = ("exit", "timeout")
                    if ordered:
                        finished[task.index] = result
                    else:
                        yield result
                continue
            ref = message.ref if type(message) is Down else message[0]
            task = running.pop(ref)
            result = _as_result(message)
            if ordered:
                finished[task.index] = result
            else:
                yield result
    finally:
        for ref, task in running.items():
            _kill_quietly(task.pid, ref)


def _kill_quietly(pid: Pid, ref: Ref) -> None:
    """Kill a stream task without its exit signal reaching the (linked) consumer."""
    Process.unlink(pid)
    Process.exit(pid, "kill")
    Process.demonitor(ref, flush=True)


async def _aiter(items: Iterable[Any] | AsyncIterable[Any]) -> AsyncIterator[Any]:
    if isinstance(items, AsyncIterable):
        async for item in items:
            yield item
    else:
        for item in items:
            yield item
