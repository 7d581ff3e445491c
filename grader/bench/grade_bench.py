"""``academy bench grade``: grading latency through the full sandbox, beside a fresh-pytest
baseline, measured in one run.

- ``sandbox, 1 worker``: one process with one warm launcher grades the submissions one after
  another (namespaces, limits, the trusted runner: everything `academy grade` does).
- ``sandbox, 2 workers``: two such processes (as two queue workers would be) share the
  submissions; throughput is what matters there.
- ``fresh pytest``: per submission, a new `python -m pytest` process runs the same visible and
  hidden tests against the learner's file in a temporary folder, with no isolation at all and
  only the pytest-asyncio plugin loaded (the cheapest fresh-process grading there is).
  That is the cheapest way to grade in a separate interpreter, and the anchors' way plus
  their kernel or container start-up.

Targets (issue 3): p50 <= 50 ms with full isolation, and >= 4x faster than the baseline.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

P50_TARGET_MS = 50.0
SPEEDUP_TARGET = 4.0
DEFAULT_EXERCISE = "01-genserver/counter"


@dataclass(frozen=True)
class Figure:
    contender: str
    submissions: int
    p50_ms: float
    p95_ms: float
    per_second: float
    isolation: str
    full_marks: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Report:
    exercise: str
    figures: tuple[Figure, ...]
    speedup: float
    p50_met: bool
    speedup_met: bool

    @property
    def all_met(self) -> bool:
        return self.p50_met and self.speedup_met

    def as_dict(self) -> dict[str, Any]:
        return {
            "exercise": self.exercise,
            "figures": [figure.as_dict() for figure in self.figures],
            "speedup_vs_fresh_pytest": round(self.speedup, 2),
            "targets": {
                "p50_ms": P50_TARGET_MS, "p50_met": self.p50_met,
                "speedup": SPEEDUP_TARGET, "speedup_met": self.speedup_met,
            },
            "all_targets_met": self.all_met,
        }


def submissions_for(exercise: Any, count: int) -> list[dict[str, str]]:
    """`count` submissions: mostly the reference solution, every fourth the starter."""
    return [exercise.starter if index % 4 == 3 else exercise.solution for index in range(count)]


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


async def _grade_many(
    exercise: Any, batch: list[dict[str, str]], ready: Callable[[], object] = lambda: None
) -> tuple[list[float], str, int, float, float]:
    """Grade ``batch`` with one warm launcher: latencies (ms), isolation, full marks, and the
    clock at the start and end of the timed grades.

    Three warm-up grades (zygote spare, imports, caches) come first, then ``ready()``: where two
    workers run, they meet at a barrier there so that their timed grades overlap.
    """
    from grader.engine import grade
    from grader.sandbox import SandboxLauncher

    latencies: list[float] = []
    isolation, full = "unknown", 0
    async with SandboxLauncher() as launcher:
        for files in batch[:3]:
            await grade(exercise, files, launcher=launcher)
        ready()
        began = time.perf_counter()
        for files in batch:
            started = time.perf_counter()
            result = await grade(exercise, files, launcher=launcher)
            latencies.append((time.perf_counter() - started) * 1000)
            isolation = result.isolation
            full += result.full_marks
        return latencies, isolation, full, began, time.perf_counter()


def _worker(exercise_path: str, batch: list[dict[str, str]], barrier: Any, out: Any) -> None:
    from grader.engine import load_exercise

    exercise = load_exercise(Path(exercise_path))
    out.put(asyncio.run(_grade_many(exercise, batch, barrier.wait)))


def _two_workers(exercise: Any, batch: list[dict[str, str]]) -> Figure:
    context = multiprocessing.get_context("spawn")
    barrier, out = context.Barrier(2), context.Queue()
    halves = [batch[0::2], batch[1::2]]
    workers = [
        context.Process(target=_worker, args=(str(exercise.path), half, barrier, out))
        for half in halves
    ]
    for worker in workers:
        worker.start()
    parts = [out.get(timeout=600) for _ in workers]
    for worker in workers:
        worker.join()
    latencies = [value for part in parts for value in part[0]]
    began, ended = min(part[3] for part in parts), max(part[4] for part in parts)
    return Figure(
        "sandbox, 2 workers", len(latencies), statistics.median(latencies),
        _percentile(latencies, 0.95), len(latencies) / (ended - began), parts[0][1],
        sum(part[2] for part in parts),
    )


def _fresh_pytest(exercise: Any, batch: list[dict[str, str]]) -> Figure:
    latencies: list[float] = []
    full = 0
    # The cheapest honest baseline: only the plugin the tests need (pytest-asyncio) is loaded,
    # not every plugin installed in the environment.
    baseline_env = {**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    for files in batch:
        folder = Path(tempfile.mkdtemp(prefix="academy-bench-"))
        try:
            for name, source in files.items():
                (folder / name).write_text(source)
            for test in exercise.test_files:
                (folder / Path(test.relative).name).write_text(test.source)
            (folder / "pytest.ini").write_text(
                "[pytest]\nasyncio_mode = auto\nasyncio_default_fixture_loop_scope = function\n"
            )
            started = time.perf_counter()
            run = subprocess.run(
                [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                 "-p", "pytest_asyncio.plugin", str(folder)],
                cwd=folder, capture_output=True, timeout=120, env=baseline_env,
            )
            latencies.append((time.perf_counter() - started) * 1000)
            full += run.returncode == 0
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    total = sum(latencies) / 1000
    return Figure(
        "fresh pytest (no isolation)", len(latencies), statistics.median(latencies),
        _percentile(latencies, 0.95), len(latencies) / total, "none", full,
    )


def run(
    exercise_id: str = DEFAULT_EXERCISE,
    submissions: int = 60,
    baseline_submissions: int = 12,
    root: Path | None = None,
) -> Report:
    from grader.engine import find_exercise

    exercise = find_exercise(exercise_id, root)
    batch = submissions_for(exercise, submissions)
    latencies, isolation, full, _, _ = asyncio.run(_grade_many(exercise, batch))
    one = Figure(
        "sandbox, 1 worker", len(latencies), statistics.median(latencies),
        _percentile(latencies, 0.95), len(latencies) / sum(latencies) * 1000, isolation, full,
    )
    two = _two_workers(exercise, batch)
    baseline = _fresh_pytest(exercise, submissions_for(exercise, baseline_submissions))
    speedup = baseline.p50_ms / one.p50_ms
    return Report(
        exercise=exercise.id,
        figures=(one, two, baseline),
        speedup=speedup,
        p50_met=one.p50_ms <= P50_TARGET_MS and one.isolation == "namespaces",
        speedup_met=speedup >= SPEEDUP_TARGET,
    )
