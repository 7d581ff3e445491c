"""An author's path through the tools, on a course of one lesson in a temporary folder:
scaffold an exercise, link it from the lesson source, render, validate, build."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

COURSE_TOML = """[course]
title = "Demo course"

[[sections]]
slug = "01-demo"
title = "Demo"
status = "available"

[[sections]]
slug = "02-later"
title = "Later"
status = "coming"
"""

LESSON = """# Demo lesson

Some prose.

```python
%load_ext grader.notebook
import asyncio
await asyncio.sleep(0)
```

## Your turn

```python exercise=01-demo/greeter
```
"""


def academy(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ACADEMY_EXERCISES": str(cwd / "exercises")}
    return subprocess.run(
        [str(Path(sys.executable).parent / "academy"), *args],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=240,
    )


@pytest.fixture
def course(tmp_path: Path) -> Path:
    (tmp_path / "content" / "_src").mkdir(parents=True)
    (tmp_path / "exercises").mkdir()
    (tmp_path / "content" / "course.toml").write_text(COURSE_TOML)
    (tmp_path / "content" / "_src" / "01-demo.md").write_text(LESSON)
    return tmp_path


@pytest.mark.slow
def test_an_exercise_scaffolded_linked_and_rendered_validates_and_builds(course: Path):
    root = ("--root", str(course))
    created = academy("course", "new-exercise", "01-demo/greeter", *root, cwd=course)
    assert created.returncode == 0, created.stderr
    rendered = academy("course", "render", "--root", str(course), cwd=course)
    assert rendered.returncode == 0, rendered.stdout + rendered.stderr
    notebook = json.loads((course / "content" / "01-demo.ipynb").read_text())
    assert notebook["cells"][-1]["metadata"]["academy"] == {"exercise": "01-demo/greeter"}

    validated = academy("course", "validate", "--exercises", str(course / "exercises"), cwd=course)
    assert validated.returncode == 0, validated.stdout + validated.stderr
    assert "01-demo.ipynb as shipped" in validated.stdout
    assert "01-demo.ipynb with solutions" in validated.stdout

    built = academy("course", "build", str(course / "out"), "--root", str(course), cwd=course)
    assert built.returncode == 0, built.stdout + built.stderr
    shipped = {p.relative_to(course / "out").as_posix() for p in (course / "out").rglob("*")}
    assert "content/01-demo.ipynb" in shipped
    assert "exercises/01-demo/greeter/starter/greeter.py" in shipped
    assert not [p for p in shipped if "solution" in p or "hidden" in p]


@pytest.mark.slow
def test_validate_reports_a_solution_that_fails_its_visible_test_in_the_notebook(course: Path):
    academy("course", "new-exercise", "01-demo/greeter", "--root", str(course), cwd=course)
    academy("course", "render", "--root", str(course), cwd=course)
    visible = course / "exercises/01-demo/greeter/tests/visible/test_greeter.py"
    visible.write_text(visible.read_text().replace('"Hello, Ada!"', '"Hi, Ada!"'))
    validated = academy("course", "validate", "--exercises", str(course / "exercises"), cwd=course)
    assert validated.returncode == 1
    assert "with solutions): the reference solution of `01-demo/greeter` fails a visible test" in (
        " ".join(validated.stdout.split())
    )


def test_validate_reports_a_stale_notebook_without_running_it(course: Path):
    academy("course", "new-exercise", "01-demo/greeter", "--root", str(course), cwd=course)
    academy("course", "render", "--root", str(course), cwd=course)
    check = academy("course", "render", "--check", "--root", str(course), cwd=course)
    assert check.returncode == 0
    lesson = course / "content" / "_src" / "01-demo.md"
    lesson.write_text(lesson.read_text().replace("Some prose.", "Other prose."))
    check = academy("course", "render", "--check", "--root", str(course), cwd=course)
    assert check.returncode == 1 and "stale:" in check.stdout


def test_new_exercise_refuses_an_unknown_section(course: Path):
    result = academy("course", "new-exercise", "09-nope/x", "--root", str(course), cwd=course)
    assert result.returncode == 2
    assert "no section `09-nope`" in result.stdout
