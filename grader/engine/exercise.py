"""Exercises: one folder each, loaded and validated once, then graded many times.

    exercises/<section>/<slug>/
        exercise.toml       id, title, difficulty, files, hints, limits, tasks, points
        prompt.md           what the learner reads
        starter/<files>     what the learner starts from
        solution/<files>    the reference solution (never shipped)
        tests/visible/test_*.py   shipped to learners, also graded
        tests/hidden/test_*.py    graded only; never leave the grader

Loading imports the test modules once (see `collect`), so a malformed test is an author
error found at load time, not a learner's failed submission.
"""

from __future__ import annotations

import fnmatch
import keyword
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from grader.engine.errors import ExerciseError

if TYPE_CHECKING:
    from grader.engine.collect import TestCase, TestSuite

DIFFICULTIES = ("easy", "medium", "hard")
_TOP_LEVEL_KEYS = {"id", "title", "difficulty", "files", "hints", "limits", "tasks", "points"}
_LIMIT_KEYS = {"test_seconds", "wall_seconds", "cpu_seconds", "memory_mb", "output_kb"}
_TASK_KEYS = {"name", "tests", "points"}


@dataclass(frozen=True)
class ExerciseLimits:
    """Per-exercise limits; the sandbox's own defaults cover the rest (processes, files)."""

    test_seconds: float = 2.0  # each test case, and importing the learner's modules
    wall_seconds: float = 10.0  # the whole submission
    cpu_seconds: int = 10
    memory_mb: int = 512
    output_kb: int = 64


@dataclass(frozen=True)
class Task:
    """A named part of the exercise; its tests are matched by name patterns."""

    name: str
    tests: tuple[str, ...]
    points: float = 1.0  # per test case of this task, unless `[points]` overrides a test

    def matches(self, test_name: str) -> bool:
        return any(fnmatch.fnmatchcase(test_name, pattern) for pattern in self.tests)


@dataclass(frozen=True)
class TestFile:
    """A test module's source; `relative` is its path inside the exercise folder."""

    relative: str
    source: str
    hidden: bool


@dataclass(eq=False)
class Exercise:
    """A loaded, validated exercise. Compare exercises by `id`."""

    id: str
    path: Path
    title: str
    difficulty: str
    files: tuple[str, ...]
    prompt: str
    hints: tuple[str, ...]
    tasks: tuple[Task, ...]
    points: dict[str, float]
    limits: ExerciseLimits
    starter: dict[str, str]
    solution: dict[str, str]
    test_files: tuple[TestFile, ...]
    cases: tuple[TestCase, ...] = field(default=(), repr=False)  # set by load_exercise
    suite: TestSuite | None = field(default=None, repr=False)  # set by load_exercise

    @property
    def modules(self) -> tuple[str, ...]:
        """Import names of the learner's files (`stack.py` -> `stack`)."""
        return tuple(name.removesuffix(".py") for name in self.files)

    @property
    def max_score(self) -> float:
        return sum(case.max_points for case in self.cases)

    def task_for(self, test_name: str) -> Task | None:
        for task in self.tasks:
            if task.matches(test_name):
                return task
        return None


def load_exercise(path: Path, *, root: Path | None = None) -> Exercise:
    """Load and validate the exercise in folder `path` (its id is `<section>/<slug>`)."""
    path = Path(path).resolve()
    derived_id = f"{path.parent.name}/{path.name}"
    if root is not None:
        try:
            derived_id = path.relative_to(Path(root).resolve()).as_posix()
        except ValueError:
            pass
    toml_path = path / "exercise.toml"
    if not toml_path.is_file():
        raise ExerciseError(derived_id, "exercise.toml", "file is missing")
    try:
        data = tomllib.loads(toml_path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ExerciseError(derived_id, "exercise.toml", f"not valid TOML: {error}") from None
    reader = _TomlReader(derived_id, data)
    exercise_id = reader.string("id", default=derived_id)
    if exercise_id != derived_id:
        raise ExerciseError(
            derived_id, "exercise.toml", f"is `{exercise_id}` but the folder says `{derived_id}`",
            field="id",
        )
    reader.reject_unknown(data, _TOP_LEVEL_KEYS, "")
    files = reader.files()
    exercise = Exercise(
        id=exercise_id,
        path=path,
        title=reader.string("title"),
        difficulty=reader.choice("difficulty", DIFFICULTIES),
        files=files,
        prompt=_read_text(exercise_id, path, "prompt.md"),
        hints=reader.string_list("hints", default=[]),
        tasks=reader.tasks(),
        points=reader.points(),
        limits=reader.limits(),
        starter=_read_files(exercise_id, path, "starter", files),
        solution=_read_files(exercise_id, path, "solution", files),
        test_files=_read_test_files(exercise_id, path),
    )
    # Imported here: collecting executes the test modules, which needs the proxy machinery.
    from grader.engine.collect import collect_exercise

    exercise.cases, exercise.suite = collect_exercise(exercise)
    return exercise


def _read_text(exercise_id: str, path: Path, relative: str) -> str:
    file = path / relative
    if not file.is_file():
        raise ExerciseError(exercise_id, relative, "file is missing")
    try:
        return file.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ExerciseError(exercise_id, relative, "is not UTF-8 text") from None


def _read_files(
    exercise_id: str, path: Path, folder: str, files: tuple[str, ...]
) -> dict[str, str]:
    return {name: _read_text(exercise_id, path, f"{folder}/{name}") for name in files}


def _read_test_files(exercise_id: str, path: Path) -> tuple[TestFile, ...]:
    found: list[TestFile] = []
    for kind in ("visible", "hidden"):
        folder = path / "tests" / kind
        if not folder.is_dir():
            raise ExerciseError(exercise_id, f"tests/{kind}/", "folder is missing")
        for file in sorted(folder.glob("test_*.py")):
            relative = f"tests/{kind}/{file.name}"
            source = _read_text(exercise_id, path, relative)
            found.append(TestFile(relative, source, hidden=kind == "hidden"))
    if not found:
        raise ExerciseError(exercise_id, "tests/", "has no test_*.py file in visible/ or hidden/")
    return tuple(found)


class _TomlReader:
    """Typed access to exercise.toml whose every error names the field."""

    def __init__(self, exercise_id: str, data: dict[str, Any]):
        self.exercise_id = exercise_id
        self.data = data

    def _error(self, field: str, problem: str) -> ExerciseError:
        return ExerciseError(self.exercise_id, "exercise.toml", problem, field=field)

    def reject_unknown(self, table: dict[str, Any], allowed: set[str], prefix: str) -> None:
        unknown = sorted(set(table) - allowed)
        if unknown:
            raise self._error(
                prefix + unknown[0], f"is not a known key (known: {', '.join(sorted(allowed))})"
            )

    def string(self, key: str, *, default: str | None = None) -> str:
        value = self.data.get(key, default)
        if value is None:
            raise self._error(key, "is missing")
        if not isinstance(value, str) or not value.strip():
            raise self._error(key, "must be a non-empty string")
        return value

    def choice(self, key: str, choices: tuple[str, ...]) -> str:
        value = self.string(key)
        if value not in choices:
            raise self._error(key, f"must be one of {', '.join(choices)}, not `{value}`")
        return value

    def string_list(self, key: str, *, default: list[str] | None = None) -> tuple[str, ...]:
        value = self.data.get(key, default)
        if value is None:
            raise self._error(key, "is missing")
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise self._error(key, "must be a list of non-empty strings")
        return tuple(value)

    def files(self) -> tuple[str, ...]:
        files = self.string_list("files")
        if not files:
            raise self._error("files", "must name at least one learner file")
        for name in files:
            module = name.removesuffix(".py")
            if not name.endswith(".py") or not module.isidentifier() or keyword.iskeyword(module):
                raise self._error(
                    "files", f"`{name}` must be a top-level module file like `stack.py`"
                )
        if len(set(files)) != len(files):
            raise self._error("files", "names a file twice")
        return files

    def limits(self) -> ExerciseLimits:
        table = self.data.get("limits", {})
        if not isinstance(table, dict):
            raise self._error("limits", "must be a table")
        self.reject_unknown(table, _LIMIT_KEYS, "limits.")
        values: dict[str, Any] = {}
        for key in _LIMIT_KEYS & set(table):
            value = table[key]
            if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
                raise self._error(f"limits.{key}", "must be a positive number")
            values[key] = value
        for key in ("cpu_seconds", "memory_mb", "output_kb"):
            if key in values and not isinstance(values[key], int):
                raise self._error(f"limits.{key}", "must be a whole number")
        return ExerciseLimits(**values)

    def tasks(self) -> tuple[Task, ...]:
        raw = self.data.get("tasks")
        if not isinstance(raw, list) or not raw:
            raise self._error("tasks", "must list at least one [[tasks]] table")
        tasks: list[Task] = []
        for index, table in enumerate(raw):
            where = f"tasks[{index}]"
            if not isinstance(table, dict):
                raise self._error(where, "must be a table")
            self.reject_unknown(table, _TASK_KEYS, f"{where}.")
            name = table.get("name")
            if not isinstance(name, str) or not name.strip():
                raise self._error(f"{where}.name", "must be a non-empty string")
            patterns = table.get("tests")
            if not isinstance(patterns, list) or not patterns or not all(
                isinstance(p, str) and p for p in patterns
            ):
                raise self._error(
                    f"{where}.tests", "must be a non-empty list of test name patterns"
                )
            points = table.get("points", 1)
            if isinstance(points, bool) or not isinstance(points, int | float) or points < 0:
                raise self._error(f"{where}.points", "must be a number >= 0")
            tasks.append(Task(name=name, tests=tuple(patterns), points=float(points)))
        if len({task.name for task in tasks}) != len(tasks):
            raise self._error("tasks", "task names must be unique")
        return tuple(tasks)

    def points(self) -> dict[str, float]:
        table = self.data.get("points", {})
        if not isinstance(table, dict):
            raise self._error("points", "must be a table of test name = points")
        points: dict[str, float] = {}
        for name, value in table.items():
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                raise self._error(f"points.{name}", "must be a number >= 0")
            points[name] = float(value)
        return points
