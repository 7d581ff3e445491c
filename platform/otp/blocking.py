"""Blocking code: the one place where asyncio and the BEAM truly differ.

The BEAM preempts a busy process; asyncio cannot. A process that calls ``time.sleep``, does
heavy CPU work or uses a blocking client stalls *every* process on its event loop. Two helpers:

- ``await run_blocking(fn, *args)`` runs ``fn`` in a worker thread; the calling process waits,
  the others keep running.
- ``LoopWatchdog`` (``watch_loop()``) notices when the loop stops answering and logs a warning
  that names the process that was running and how long the loop was blocked. Set the
  environment variable ``OTP_LOOP_WATCHDOG`` to a threshold in seconds (e.g. ``0.1``) to enable
  it on every event loop created after ``import otp`` (and on the loop running at import time,
  as in a notebook).
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import logging
import os
import sys
import threading
import time
import traceback
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any, ParamSpec, TypeVar

from otp._process import _current, lookup, running_process

__all__ = [
    "WATCHDOG_ENV",
    "LoopWatchdog",
    "Stall",
    "install_watchdog_from_env",
    "loop_watchdog",
    "run_blocking",
    "watch_loop",
]

logger = logging.getLogger("otp.blocking")

P = ParamSpec("P")
R = TypeVar("R")

WATCHDOG_ENV = "OTP_LOOP_WATCHDOG"
"""Environment variable: a threshold in seconds; when set, every event loop is watched."""


async def run_blocking(fn: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs) -> R:
    """Run ``fn(*args, **kwargs)`` in a worker thread and wait for its result.

    Other processes keep running meanwhile. The thread sees the caller's context variables, but
    not as a process: otp functions that touch processes (``send``, ``self``,
    ``GenServer.call``) raise there, since they belong to the loop's thread; return a value
    instead (``telemetry.execute`` is fine). If the waiting process is killed, the thread
    still runs ``fn`` to its end (threads cannot be interrupted) and the result is dropped.
    Threads come from the loop's default executor.
    """
    loop = asyncio.get_running_loop()
    context = contextvars.copy_context()
    # In the thread, code is outside any process: otp calls that need one fail loudly
    # ("needs a running asyncio event loop") instead of touching the loop from another thread.
    context.run(_current.set, None)
    call = functools.partial(context.run, fn, *args, **kwargs)
    return await loop.run_in_executor(None, call)


@dataclass(frozen=True)
class Stall:
    """One period during which the event loop did not run anything else."""

    duration: float
    """Seconds the loop did not answer (a lower bound: sampling may start late)."""
    pid: Any
    """The process that was running when the stall was detected (None: code outside processes)."""
    name: Any
    """That process's registered name, if any."""
    task: str | None
    """The asyncio task's name."""
    where: str
    """The innermost frames of the loop's thread while it was blocked."""

    def describe(self) -> str:
        if self.pid is not None:
            who = f"process {self.pid!r}" + (f" ({self.name!r})" if self.name else "")
        else:
            who = "code outside any process"
        task = f" in task {self.task!r}" if self.task else ""
        return (
            f"the event loop was blocked for {self.duration:.3f} s by {who}{task}; every other "
            f"process waited. It was at:\n{self.where}\nRun blocking calls with "
            "`await run_blocking(fn, *args)` and split long CPU work (or give it a thread)."
        )


class LoopWatchdog:
    """Watches one event loop from a thread and reports each stall longer than ``threshold``.

    Every ``threshold / 2`` seconds the thread schedules a no-op on the loop; when the loop has
    not run it after ``threshold`` seconds, the thread notes which process is running, waits
    for the loop to answer, then logs a warning (logger ``otp.blocking``) and records a
    ``Stall``. Use as ``with watch_loop(0.1):`` / ``async with``, or ``start()``/``stop()``.
    """

    def __init__(self, threshold: float = 0.1, *, loop: asyncio.AbstractEventLoop | None = None
                 ) -> None:
        if not threshold > 0:
            raise ValueError(f"the watchdog threshold is seconds > 0; got {threshold!r}")
        self.threshold = float(threshold)
        self.stalls: list[Stall] = []
        self._loop = loop
        self._loop_thread: int | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._waiters: list[tuple[asyncio.Future[Stall], Callable[[Stall], bool] | None]] = []

    def start(self) -> LoopWatchdog:
        """Begin watching; call from the loop's own thread (inside async code)."""
        if self._thread is not None:
            return self
        if self._loop is None:
            self._loop = asyncio.get_running_loop()
        self._loop_thread = threading.get_ident()
        self._stopping.clear()
        self._thread = threading.Thread(target=self._watch, name="otp-loop-watchdog", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop watching (the thread ends within one sampling interval)."""
        self._stopping.set()
        self._thread = None

    def __enter__(self) -> LoopWatchdog:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    async def __aenter__(self) -> LoopWatchdog:
        return self.start()

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        self.stop()

    async def next_stall(self, match: Callable[[Stall], bool] | None = None) -> Stall:
        """Wait until the next stall (for which ``match(stall)`` is true) has been reported."""
        waiter: asyncio.Future[Stall] = asyncio.get_running_loop().create_future()
        self._waiters.append((waiter, match))
        return await waiter

    # -- the watching thread ---------------------------------------------------------------

    def _watch(self) -> None:
        loop = self._loop
        assert loop is not None
        interval = self.threshold / 2
        ping: threading.Event | None = None
        sent = 0.0
        while not self._stopping.is_set():
            if ping is None:
                ping = threading.Event()
                try:
                    loop.call_soon_threadsafe(ping.set)
                except RuntimeError:
                    return  # the loop is closed
                sent = time.monotonic()
            if ping.wait(self.threshold):
                ping = None
                self._stopping.wait(interval)
                continue
            if not loop.is_running():
                # Idle between runs, not blocked: keep the one ping queued, count from now.
                self._stopping.wait(interval)
                sent = time.monotonic()
                continue
            stall = self._sample(loop)
            while not ping.wait(self.threshold):
                if not loop.is_running():
                    break  # stopped, not blocked: nothing to report
            else:
                self._report(loop, stall(time.monotonic() - sent))
                ping = None

    def _sample(self, loop: asyncio.AbstractEventLoop) -> Callable[[float], Stall]:
        pid = running_process(loop)
        proc = lookup(pid) if pid is not None else None
        name = proc.name if proc is not None else None
        task = asyncio.current_task(loop)
        frame = sys._current_frames().get(self._loop_thread or 0)
        where = "(unknown)"
        if frame is not None:
            frames = traceback.extract_stack(frame)[-3:]
            where = "".join(traceback.format_list(frames)).rstrip()
        task_name = task.get_name() if task is not None else None
        return lambda duration: Stall(duration, pid, name, task_name, where)

    def _report(self, loop: asyncio.AbstractEventLoop, stall: Stall) -> None:
        self.stalls.append(stall)
        logger.warning("%s", stall.describe())
        try:
            loop.call_soon_threadsafe(self._wake, stall)
        except RuntimeError:
            pass  # the loop closed meanwhile; nobody is waiting

    def _wake(self, stall: Stall) -> None:
        waiting = []
        for waiter, match in self._waiters:
            if waiter.done():
                continue
            if match is None or match(stall):
                waiter.set_result(stall)
            else:
                waiting.append((waiter, match))
        self._waiters = waiting


def watch_loop(threshold: float = 0.1) -> LoopWatchdog:
    """A watchdog for the running loop; use it with ``with`` / ``async with``."""
    return LoopWatchdog(threshold)


_watched: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, LoopWatchdog] = (
    weakref.WeakKeyDictionary()
)


def _watch_this_loop(threshold: float) -> None:
    loop = asyncio.get_running_loop()
    if loop not in _watched:
        _watched[loop] = LoopWatchdog(threshold, loop=loop).start()


def loop_watchdog() -> LoopWatchdog | None:
    """The watchdog ``OTP_LOOP_WATCHDOG`` started on the running loop, if any."""
    return _watched.get(asyncio.get_running_loop())


def install_watchdog_from_env(environ: Mapping[str, str] | None = None) -> float | None:
    """Enable the watchdog on every new event loop when ``OTP_LOOP_WATCHDOG`` is set.

    Called once by ``import otp``. Returns the threshold in use, or None when disabled. The
    default event loop policy's ``new_event_loop`` is wrapped so that each new loop starts a
    watchdog when it first runs; a loop already running in this thread is watched at once.
    """
    text = (os.environ if environ is None else environ).get(WATCHDOG_ENV, "").strip()
    if not text or text == "0":
        return None
    try:
        threshold = float(text)
        if not threshold > 0:
            raise ValueError
    except ValueError:
        logger.warning("%s=%r is not a number of seconds > 0; the loop watchdog stays off",
                       WATCHDOG_ENV, text)
        return None
    policy = asyncio.get_event_loop_policy()
    if not getattr(policy, "_otp_watchdog", False):
        original = policy.new_event_loop

        def new_event_loop() -> asyncio.AbstractEventLoop:
            loop = original()
            loop.call_soon(_watch_this_loop, threshold)
            return loop

        policy.new_event_loop = new_event_loop  # type: ignore[method-assign]
        policy._otp_watchdog = True  # type: ignore[attr-defined]
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pass
    else:
        _watch_this_loop(threshold)
    return threshold
