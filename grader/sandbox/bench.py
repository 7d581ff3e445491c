"""Micro-benchmark of sandbox start-up: warm (zygote) against cold (fresh interpreter).

Each run spawns a sandbox whose entry echoes one frame; "first frame" is spawn call to the
echo received, "total" runs on until the sandbox is gone. `python -m grader.sandbox.bench
[N]` prints both paths side by side; `academy bench grade` builds on `measure`.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass

from grader.sandbox._types import Isolation, Limits
from grader.sandbox.launcher import SandboxLauncher

ECHO_ENTRY = "grader.sandbox._probe:echo"


def _percentile(samples: Sequence[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


@dataclass(frozen=True)
class SpawnFigures:
    """Latencies of one path, in milliseconds."""

    path: str  # "zygote" or "cold"
    isolation: Isolation
    first_frame_ms: tuple[float, ...]
    total_ms: tuple[float, ...]

    @property
    def first_frame_p50(self) -> float:
        return statistics.median(self.first_frame_ms)

    @property
    def first_frame_p95(self) -> float:
        return _percentile(self.first_frame_ms, 0.95)

    @property
    def total_p50(self) -> float:
        return statistics.median(self.total_ms)

    @property
    def total_p95(self) -> float:
        return _percentile(self.total_ms, 0.95)


async def measure(launcher: SandboxLauncher, runs: int, *, cold: bool) -> SpawnFigures:
    """Spawn `runs` echo sandboxes one after another through `launcher`."""
    first_frame, total = [], []
    for index in range(runs):
        started = time.perf_counter()
        async with await launcher.spawn({}, Limits(), ECHO_ENTRY, cold=cold) as process:
            await process.channel.send({"run": index})
            await process.channel.recv(timeout=30)
            first_frame.append((time.perf_counter() - started) * 1000)
            await process.wait()
            total.append((time.perf_counter() - started) * 1000)
    return SpawnFigures("cold" if cold else "zygote", launcher.isolation,
                        tuple(first_frame), tuple(total))


async def compare(runs: int = 50, preload: Sequence[str] = ("otp",)) -> list[SpawnFigures]:
    """Both paths measured in the same run, warm first (one warm-up spawn each)."""
    async with SandboxLauncher(preload=preload) as launcher:
        figures = []
        for cold in (False, True):
            await measure(launcher, 1, cold=cold)
            figures.append(await measure(launcher, runs, cold=cold))
        return figures


def format_figures(figures: Sequence[SpawnFigures]) -> str:
    lines = [f"{'path':<8} {'isolation':<13} {'runs':>5} {'first frame p50':>16} "
             f"{'p95':>8} {'total p50':>10} {'p95':>8}"]
    for f in figures:
        lines.append(f"{f.path:<8} {f.isolation.value:<13} {len(f.total_ms):>5} "
                     f"{f.first_frame_p50:>13.1f} ms {f.first_frame_p95:>5.1f} ms "
                     f"{f.total_p50:>7.1f} ms {f.total_p95:>5.1f} ms")
    if len(figures) == 2:
        lines.append(f"zygote is {figures[1].first_frame_p50 / figures[0].first_frame_p50:.1f}x "
                     "faster to the first frame")
    return "\n".join(lines)


def main(argv: Sequence[str] = ()) -> None:
    runs = int(argv[0]) if argv else 50
    print(format_figures(asyncio.run(compare(runs))))


if __name__ == "__main__":
    main(sys.argv[1:])
