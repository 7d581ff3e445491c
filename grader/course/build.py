"""The learners' copy of the course: what ``academy course build OUT`` writes.

    OUT/
    ├── README.md, pytest.ini            how to run the lessons and the visible tests
    ├── content/course.toml, NN-*.ipynb  notebooks rendered fresh from their sources
    └── exercises/<section>/<slug>/      prompt.md, exercise.toml, starter/, tests/visible/

Reference solutions and hidden tests are never copied; ``[points]`` entries that name hidden
tests are dropped from ``exercise.toml``. After writing, the build checks its own output for
anything that must not be there, so a mistake fails the build instead of reaching learners.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from grader.course.catalog import Course, CourseError
from grader.course.sources import render_course
from grader.course.validate import CourseExercises


class BuildError(CourseError):
    """The output folder is unusable, or the build found forbidden material in its output."""


@dataclass
class BuildReport:
    out: Path
    notebooks: list[str] = field(default_factory=list)
    exercises: list[str] = field(default_factory=list)


_PYTEST_INI = """[pytest]
asyncio_mode = auto
asyncio_default_fixture_loop_scope = function
"""

_README = """# {title}

{subtitle}

Open the lessons in `content/` with Jupyter (`jupyter notebook content/`, or JupyterLab), in
order. Each lesson runs top to bottom; its exercise cells start with `%%exercise <id>`: edit
the code, run the cell, and the exercise's visible tests run on it. `%submit` grades it (set
`ACADEMY_SERVER` and `ACADEMY_TOKEN` to submit to your course's grader service).

Every exercise is also a folder in `exercises/`: read `prompt.md`, edit the file in
`starter/`, and run its visible tests with pytest, e.g.

    cd exercises/01-genserver/counter && PYTHONPATH=starter pytest tests/visible
"""


def _points_key(line: str) -> str | None:
    match = re.match(r"\s*([A-Za-z_][\w\[\]-]*)\s*=", line)
    return match.group(1) if match else None


def learner_exercise_toml(text: str, hidden_tests: set[str]) -> str:
    """``exercise.toml`` without the ``[points]`` lines that name hidden tests."""
    kept: list[str] = []
    in_points = False
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("["):
            in_points = stripped == "[points]"
        key = _points_key(line) if in_points else None
        if key is not None and key.split("[")[0] in hidden_tests:
            continue
        kept.append(line)
    return "\n".join(kept) + "\n"


def _prepare(out: Path, force: bool) -> None:
    if out.exists() and any(out.iterdir()):
        if not force:
            raise BuildError(f"{out} is not empty; pass --force to replace it")
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)


def _copy_exercise(exercise: object, out: Path) -> None:
    source: Path = exercise.path  # type: ignore[attr-defined]
    target = out / "exercises" / exercise.id  # type: ignore[attr-defined]
    (target / "tests").mkdir(parents=True)
    shutil.copy2(source / "prompt.md", target / "prompt.md")
    shutil.copytree(source / "starter", target / "starter")
    shutil.copytree(source / "tests" / "visible", target / "tests" / "visible")
    hidden = {
        case.function_name
        for case in exercise.cases  # type: ignore[attr-defined]
        if case.visibility == "hidden"
    }
    toml = (source / "exercise.toml").read_text(encoding="utf-8")
    (target / "exercise.toml").write_text(learner_exercise_toml(toml, hidden), encoding="utf-8")


def check_output(out: Path, exercises: CourseExercises) -> list[str]:
    """Forbidden material in a built course: solution folders, hidden tests, leaked lines."""
    problems = [
        f"{path.relative_to(out)} must not be shipped"
        for path in out.rglob("*")
        if path.is_dir() and (path.name == "solution" or path.name == "hidden")
    ]
    for notebook in sorted((out / "content").glob("*.ipynb")):
        text = notebook.read_text(encoding="utf-8")
        for exercise_id in sorted(exercises.ids()):
            if exercise_id.startswith(f"{notebook.stem}/"):  # the lesson that shows it
                problems.extend(exercises.leaks(exercise_id, notebook.name, text))
    return problems


def build_course(
    course: Course, exercises: CourseExercises, out: Path, *, force: bool = False
) -> BuildReport:
    _prepare(out, force)
    report = BuildReport(out)
    (out / "content").mkdir()
    shutil.copy2(course.content_dir / "course.toml", out / "content" / "course.toml")
    for path, text in render_course(course, exercises.material).items():
        (out / "content" / path.name).write_text(text, encoding="utf-8")
        report.notebooks.append(path.name)
    for exercise in exercises.catalog:
        _copy_exercise(exercise, out)
        report.exercises.append(exercise.id)
    (out / "pytest.ini").write_text(_PYTEST_INI, encoding="utf-8")
    (out / "README.md").write_text(
        _README.format(title=course.title, subtitle=course.subtitle), encoding="utf-8"
    )
    problems = check_output(out, exercises)
    if problems:
        raise BuildError("the build holds material learners must not get:\n" + "\n".join(problems))
    return report
