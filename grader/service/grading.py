"""The seam between the service and the grading engine.

The service only needs "grade these files for that exercise, give me the result JSON"; the
``Grader`` protocol says exactly that. ``EngineGrader`` (the default) is the real engine with
one warm sandbox launcher per worker process. ``StubGrader`` grades without running code, for
tests and benchmarks of the service alone (queue, database, API): it is named in
``Settings.grader`` like any other grader, so those runs use the same worker processes and code
paths as production, only the verdict is cheap.
"""

from __future__ import annotations

import asyncio
import importlib
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Protocol, runtime_checkable


@runtime_checkable
class Grader(Protocol):
    """Grades one submission; returns the engine's result JSON (``docs/results.md``)."""

    async def start(self) -> None: ...

    async def close(self) -> None: ...

    async def grade(self, exercise_id: str, files: Mapping[str, str]) -> dict[str, Any]: ...


def load_grader_factory(spec: str) -> Callable[..., Grader]:
    """``"package.module:attribute"`` -> the callable that builds a grader."""
    module_name, _, attribute = spec.partition(":")
    if not attribute:
        raise ValueError(f"grader {spec!r} must look like 'package.module:attribute'")
    return getattr(importlib.import_module(module_name), attribute)


def build_grader(spec: str, exercises_dir: Path) -> Grader:
    return load_grader_factory(spec)(exercises_dir=exercises_dir)


class EngineGrader:
    """The real engine: hidden tests in this trusted process, learner code in the sandbox."""

    def __init__(self, exercises_dir: Path) -> None:
        from grader import engine

        self._engine = engine
        self._catalog = engine.Catalog.load(exercises_dir)
        self._launcher: Any = None

    async def start(self) -> None:
        from grader.sandbox import SandboxLauncher

        self._launcher = SandboxLauncher()
        await self._launcher.start()

    async def close(self) -> None:
        if self._launcher is not None:
            await self._launcher.close()
            self._launcher = None

    async def grade(self, exercise_id: str, files: Mapping[str, str]) -> dict[str, Any]:
        exercise = self._catalog.get(exercise_id)
        result = await self._engine.grade(exercise, files, launcher=self._launcher)
        return result.to_json()


class StubGrader:
    """Grades by reading a directive from the submission instead of running it.

    A line ``# stub-score: 0.5`` sets the fraction of full marks (default 1.0),
    ``# stub-sleep: 2.0`` makes grading take that long, and ``# stub-wait-for: /some/path``
    holds grading until that file exists (so a test can kill a worker mid-grade, then let
    the retry through); ``# stub-raise: message`` makes the grader itself fail.
    The result has the engine's JSON shape, with one test per directive.
    """

    def __init__(self, exercises_dir: Path | None = None, max_score: float = 1.0) -> None:
        self.max_score = max_score

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        return None

    async def grade(self, exercise_id: str, files: Mapping[str, str]) -> dict[str, Any]:
        started = time.perf_counter()
        directives = _directives(files)
        sleep = float(directives.get("stub-sleep", 0.0))
        if sleep:
            await asyncio.sleep(sleep)
        if gate := directives.get("stub-wait-for"):
            await asyncio.to_thread(_block_until_exists, Path(gate))
        if message := directives.get("stub-raise"):
            raise RuntimeError(message)
        fraction = min(max(float(directives.get("stub-score", 1.0)), 0.0), 1.0)
        score = round(self.max_score * fraction, 6)
        passed = score >= self.max_score
        total_ms = (time.perf_counter() - started) * 1000
        return {
            "version": 3,
            "status": "pass" if passed else "fail",
            "score": score,
            "max_score": self.max_score,
            "tests": [
                {
                    "name": "stub",
                    "task": 1,
                    "status": "pass" if passed else "fail",
                    "points": score,
                    "max_points": self.max_score,
                    "message": None if passed else "stub verdict below full marks",
                }
            ],
            "timings": {"prepare_ms": 0.0, "run_ms": total_ms, "total_ms": total_ms},
            "isolation": "none",
        }


def _block_until_exists(path: Path) -> None:
    while not path.exists():
        time.sleep(0.02)


def _directives(files: Mapping[str, str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for text in files.values():
        for line in text.splitlines():
            stripped = line.strip()
            if stripped.startswith("# stub-"):
                key, _, value = stripped[2:].partition(":")
                found[key.strip()] = value.strip()
    return found
