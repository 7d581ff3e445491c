"""Running one notebook top to bottom in a fresh kernel, as a learner would.

One kernel per notebook (nothing leaks between lessons), a time limit per cell, and execution
stops at the first cell that raises or runs out of time: later cells would only fail because of
it. The report names that cell by number and first line and carries the kernel's error, and it
collects the results every exercise cell displayed (``%%exercise`` publishes them under
:data:`~grader.notebook.report.RESULTS_MIME`).
"""

from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError
from nbformat import NotebookNode

from grader.course.sources import exercise_id_of
from grader.notebook.report import RESULTS_MIME

DEFAULT_CELL_TIMEOUT = 30.0
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


@dataclass(frozen=True)
class CellFailure:
    """The first cell that did not run to completion, and why."""

    number: int  # 1-based position among all cells, as a reader counts them
    first_line: str
    kind: str  # "error" | "timeout" | "dead kernel"
    error_name: str
    error_value: str
    traceback: str

    def describe(self) -> str:
        head = f"cell {self.number} (`{self.first_line}`)"
        if self.kind == "timeout":
            return f"{head} ran out of time: {self.error_value}"
        if self.kind == "dead kernel":
            return f"{head} killed the kernel: {self.error_value}"
        return f"{head} raised {self.error_name}: {self.error_value}"


@dataclass(frozen=True)
class ExerciseOutcome:
    """What an exercise cell reported when it ran (a results.json-shaped dict)."""

    exercise_id: str
    cell_number: int
    result: dict[str, Any] | None  # None: the cell ran but showed no test results

    @property
    def all_passed(self) -> bool:
        if self.result is None:
            return False
        tests = self.result.get("tests", [])
        return bool(tests) and all(test.get("status") == "pass" for test in tests)

    @property
    def ran_tests(self) -> bool:
        return self.result is not None and bool(self.result.get("tests"))


@dataclass
class NotebookRun:
    name: str
    seconds: float = 0.0
    cell_seconds: list[float] = field(default_factory=list)
    failure: CellFailure | None = None
    exercises: list[ExerciseOutcome] = field(default_factory=list)

    @property
    def completed(self) -> bool:
        return self.failure is None

    @property
    def slowest_cell(self) -> tuple[int, float]:
        if not self.cell_seconds:
            return (0, 0.0)
        index = max(range(len(self.cell_seconds)), key=self.cell_seconds.__getitem__)
        return (index + 1, self.cell_seconds[index])


def _first_line(cell: NotebookNode) -> str:
    for line in str(cell.source).splitlines():
        if line.strip():
            return line.strip()[:60]
    return ""


def _results_shown(cell: NotebookNode) -> dict[str, Any] | None:
    for output in cell.get("outputs", []):
        data = output.get("data", {})
        if RESULTS_MIME in data:
            return dict(data[RESULTS_MIME])
    return None


def _failure(number: int, cell: NotebookNode, error: Exception) -> CellFailure:
    first = _first_line(cell)
    if isinstance(error, CellTimeoutError):
        return CellFailure(number, first, "timeout", "CellTimeoutError", str(error), "")
    if isinstance(error, DeadKernelError):
        return CellFailure(number, first, "dead kernel", "DeadKernelError", str(error), "")
    assert isinstance(error, CellExecutionError)
    return CellFailure(
        number,
        first,
        "error",
        error.ename,
        _ANSI.sub("", str(error.evalue)),
        _ANSI.sub("", str(error.traceback)),
    )


async def execute_notebook(
    notebook: NotebookNode,
    *,
    name: str,
    cwd: Path,
    cell_timeout: float = DEFAULT_CELL_TIMEOUT,
    env: dict[str, str] | None = None,
) -> NotebookRun:
    """Execute ``notebook`` in place (outputs are filled in) and report how it went.

    Async so that several notebooks, each in its own kernel, can run side by side."""
    run = NotebookRun(name=name)
    client = NotebookClient(
        notebook,
        timeout=cell_timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(cwd)}},
        allow_errors=False,
        # The kernel's own warnings (e.g. about its TCP transport) are not the lesson's.
        extra_arguments=["--IPKernelApp.log_level=ERROR"],
    )
    kernel_env = {**os.environ, **(env or {})}
    started = time.perf_counter()
    async with client.async_setup_kernel(env=kernel_env):
        for index, cell in enumerate(notebook.cells):
            if cell.cell_type != "code":
                run.cell_seconds.append(0.0)
                continue
            cell_started = time.perf_counter()
            try:
                await client.async_execute_cell(cell, index)
            except (CellExecutionError, CellTimeoutError, DeadKernelError) as error:
                run.cell_seconds.append(time.perf_counter() - cell_started)
                run.failure = _failure(index + 1, cell, error)
                break
            run.cell_seconds.append(time.perf_counter() - cell_started)
            exercise_id = exercise_id_of(cell)
            if exercise_id is not None:
                run.exercises.append(ExerciseOutcome(exercise_id, index + 1, _results_shown(cell)))
    run.seconds = time.perf_counter() - started
    return run
