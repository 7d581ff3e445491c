"""Supervisor restart latency, measured for ``academy bench otp``.

The figure is the time from a child's death (``Process.exit(pid, "kill")``) to the moment its
replacement has finished ``init``: the supervisor's whole reaction (exit signal, restart-type
and intensity checks, strategy, starting the new process and waiting for its ack). The
replacement notes the time in its own ``init``, so no polling or extra call is measured.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import statistics
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from otp._process import Pid, Process
from otp._process import self as self_pid
from otp._returns import Ok
from otp.child_spec import ChildSpec
from otp.gen_server import GenServer
from otp.supervisor import Supervisor

__all__ = ["RestartLatency", "measure_restart_latency"]


@dataclass(frozen=True)
class RestartLatency:
    """Seconds per restart over ``samples`` restarts."""

    samples: int
    mean: float
    median: float
    p99: float

    @property
    def restarts_per_second(self) -> float:
        return 1.0 / self.mean if self.mean > 0 else float("inf")


class _Stamped(GenServer):
    """A child that reports (pid, time) when its init is done."""

    async def init(self, report: Any) -> Ok:
        report(self_pid(), time.perf_counter())
        return Ok(None)


async def measure_restart_latency(
    samples: int = 2000,
    *,
    strategy: str = "one_for_one",
    siblings: int = 0,
    crash_reports: bool = False,
) -> RestartLatency:
    """Kill the measured child ``samples`` times under one supervisor and time each restart.

    ``siblings`` adds idle children started *before* the measured one (with one_for_all they
    restart too). Crash reports are silenced unless ``crash_reports`` is true, since writing
    thousands of log lines to stderr would measure the terminal, not the supervisor.
    """
    started: asyncio.Queue[tuple[Pid, float]] = asyncio.Queue()

    def report(pid: Pid, at: float) -> None:
        started.put_nowait((pid, at))

    children = [
        ChildSpec(id=("sibling", n), start=(_Stamped.start_link, (lambda pid, at: None,)))
        for n in range(siblings)
    ]
    children.append(ChildSpec(id="measured", start=(_Stamped.start_link, (report,))))
    durations: list[float] = []
    with _crash_reports(crash_reports):
        sup = await Supervisor.start_link(
            children, strategy=strategy, max_restarts=samples + 1, max_seconds=3600.0
        )
        assert sup is not None
        pid, _ = await started.get()
        for _ in range(samples):
            killed_at = time.perf_counter()
            Process.exit(pid, "kill")
            pid, restarted_at = await started.get()
            durations.append(restarted_at - killed_at)
        await Supervisor.stop(sup)
    durations.sort()
    return RestartLatency(
        samples=samples,
        mean=statistics.fmean(durations),
        median=statistics.median(durations),
        p99=durations[min(len(durations) - 1, int(len(durations) * 0.99))],
    )


@contextlib.contextmanager
def _crash_reports(enabled: bool) -> Iterator[None]:
    if enabled:
        yield
        return
    loggers = [logging.getLogger("otp"), logging.getLogger("otp.supervisor")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)
