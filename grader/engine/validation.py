"""Checks on an exercise as authors ship it: the reference solution gets full marks, the
starter does not, and nothing of the hidden tests appears in what learners receive."""

from __future__ import annotations

from dataclasses import dataclass

from grader.engine.exercise import Exercise
from grader.engine.grading import LauncherLike, grade

# Lines shorter than this are too common (`await asyncio.sleep(0.1)`) to count as a leak.
MIN_LEAK_CHARS = 32


@dataclass(frozen=True)
class Problem:
    exercise: str
    message: str

    def __str__(self) -> str:
        return f"{self.exercise}: {self.message}"


def shipped_texts(exercise: Exercise) -> dict[str, str]:
    """Everything a learner receives for this exercise, by where it comes from."""
    texts = {"prompt.md": exercise.prompt, "exercise.toml hints": "\n".join(exercise.hints)}
    texts.update({f"starter/{name}": source for name, source in exercise.starter.items()})
    texts.update(
        {test.relative: test.source for test in exercise.test_files if not test.hidden}
    )
    return texts


def hidden_leaks(exercise: Exercise, extra: dict[str, str] | None = None) -> list[Problem]:
    """Lines of the hidden tests found in shipped material (`extra`: more of it, by name).

    A hidden line that also occurs in the visible tests is shared set-up, not a secret (the
    visible tests are shipped on purpose); every other line of at least `MIN_LEAK_CHARS`
    characters must appear nowhere a learner can read.
    """
    visible = "\n".join(test.source for test in exercise.test_files if not test.hidden)
    secret_lines = sorted({
        line.strip()
        for test in exercise.test_files
        if test.hidden
        for line in test.source.splitlines()
        if len(line.strip()) >= MIN_LEAK_CHARS
        and not line.strip().startswith("#")
        and line.strip() not in visible
    })
    problems = []
    for where, text in {**shipped_texts(exercise), **(extra or {})}.items():
        for line in secret_lines:
            if line in text:
                message = f"{where} contains hidden test text: {line!r}"
                problems.append(Problem(exercise.id, message))
                break
    return problems


async def validate_exercise(
    exercise: Exercise, launcher: LauncherLike, shipped: dict[str, str] | None = None
) -> list[Problem]:
    """Grade the solution and the starter in the sandbox, and look for hidden-test leaks in
    the exercise's shipped files and in `shipped` (more learner material, e.g. notebooks)."""
    problems = hidden_leaks(exercise, shipped)
    solution = await grade(exercise, exercise.solution, launcher=launcher)
    if not solution.full_marks:
        failing = [t.name for t in solution.tests if t.status != "pass"]
        problems.append(Problem(
            exercise.id,
            f"the reference solution is graded {solution.status.value} "
            f"{solution.score:g}/{solution.max_score:g}"
            + (f" (failing: {', '.join(failing)})" if failing else "")
            + (f": {solution.message}" if solution.message else ""),
        ))
    starter = await grade(exercise, exercise.starter, launcher=launcher)
    if starter.full_marks:
        problems.append(Problem(exercise.id, "the starter code already gets full marks"))
    return problems
