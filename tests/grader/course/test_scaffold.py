from pathlib import Path

import pytest

from grader.course import Course, CourseError
from grader.course.scaffold import ScaffoldError, new_exercise
from grader.engine import load_exercise
from grader.engine.validation import validate_exercise


@pytest.fixture
def course(tmp_path: Path) -> Course:
    (tmp_path / "content").mkdir()
    (tmp_path / "content" / "course.toml").write_text(
        '[[sections]]\nslug = "02-supervisor"\ntitle = "S"\nstatus = "available"\n'
    )
    return Course.load(tmp_path)


async def test_a_scaffolded_exercise_loads_and_validates(course: Course):
    folder = new_exercise(course, "02-supervisor/rate-limiter", difficulty="medium")
    exercise = load_exercise(folder, root=course.exercises_dir)
    assert (exercise.id, exercise.difficulty, exercise.files) == (
        "02-supervisor/rate-limiter", "medium", ("rate_limiter.py",),
    )
    from grader.sandbox import SandboxLauncher

    async with SandboxLauncher() as launcher:
        assert await validate_exercise(exercise, launcher) == []


def test_scaffolding_refuses_an_existing_exercise(course: Course):
    new_exercise(course, "02-supervisor/pool")
    with pytest.raises(ScaffoldError, match="already exists"):
        new_exercise(course, "02-supervisor/pool")


@pytest.mark.parametrize("bad_id", ["02-supervisor", "02-supervisor/Bad_Slug", "a/b/c"])
def test_scaffolding_refuses_an_id_that_is_not_section_slash_slug(course: Course, bad_id: str):
    with pytest.raises(ScaffoldError, match="is not <section>/<slug>"):
        new_exercise(course, bad_id)


def test_scaffolding_refuses_an_unknown_section(course: Course):
    with pytest.raises(CourseError, match="no section `07-ecto`"):
        new_exercise(course, "07-ecto/query")
