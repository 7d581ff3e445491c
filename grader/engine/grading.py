"""`grade`: one submission of one exercise, start to verdict."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from grader.engine.exercise import Exercise
from grader.engine.results import GradingResult


async def grade(
    exercise: Exercise, files: Mapping[str, str], *, launcher: Any | None = None
) -> GradingResult:
    """Grade `files` (the learner's files by name) against every test of `exercise`.

    `launcher` is a started `grader.sandbox.SandboxLauncher` (one per worker process, so the
    zygote stays warm); without one, a launcher is started and closed for this call alone.
    """
    raise NotImplementedError("being written: see issue 3")
