import json
from pathlib import Path

import pytest

from grader.course import Course
from grader.course.build import BuildError, build_course, learner_exercise_toml
from grader.course.validate import load_exercises

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("course") / "out"
    build_course(Course.load(REPO), load_exercises(REPO), out)
    return out


def test_the_build_ships_every_lesson_and_every_exercise_starter(built: Path):
    assert sorted(p.name for p in (built / "content").glob("*.ipynb")) == [
        "01-genserver.ipynb", "02-supervisor.ipynb", "03-application.ipynb",
        "04-task-and-agent.ipynb",
    ]
    exercises = sorted(p.parent.relative_to(built / "exercises").as_posix()
                       for p in (built / "exercises").glob("*/*/prompt.md"))
    assert len(exercises) >= 12
    for exercise in exercises:
        folder = built / "exercises" / exercise
        assert list((folder / "starter").glob("*.py")), exercise
        assert list((folder / "tests" / "visible").glob("test_*.py")), exercise


def test_the_build_ships_no_solution_and_no_hidden_test(built: Path):
    names = {p.name for p in built.rglob("*")}
    assert "solution" not in names and "hidden" not in names
    hidden_sources = [p.read_text() for p in (REPO / "exercises").glob("*/*/tests/hidden/*.py")]
    shipped = "\n".join(p.read_text() for p in built.rglob("*") if p.is_file())
    for source in hidden_sources:
        unique = [line for line in source.splitlines() if line.startswith("async def test_")]
        assert not [line for line in unique if line in shipped]


def test_the_built_notebooks_carry_starters_not_solutions(built: Path):
    notebook = json.loads((built / "content" / "02-supervisor.ipynb").read_text())
    cell = next(c for c in notebook["cells"]
                if c["metadata"].get("academy", {}).get("exercise") == "02-supervisor/pipeline")
    source = "".join(cell["source"])
    starter = (REPO / "exercises/02-supervisor/pipeline/starter/pipeline.py").read_text()
    assert source == f"%%exercise 02-supervisor/pipeline\n{starter.rstrip()}\n"


def test_points_of_hidden_tests_are_dropped_from_exercise_toml():
    text = '[limits]\ntest_seconds = 2\n\n[points]\ntest_shown = 2\ntest_secret = 3\n'
    assert learner_exercise_toml(text, {"test_secret"}) == (
        "[limits]\ntest_seconds = 2\n\n[points]\ntest_shown = 2\n"
    )


def test_building_into_a_non_empty_folder_needs_force(tmp_path: Path):
    (tmp_path / "keep.txt").write_text("mine")
    with pytest.raises(BuildError, match="pass --force"):
        build_course(Course.load(REPO), load_exercises(REPO), tmp_path)
    assert (tmp_path / "keep.txt").read_text() == "mine"


def test_a_learners_copy_runs_visible_tests_and_says_submissions_are_graded_locally_on_them(
    built: Path, monkeypatch: pytest.MonkeyPatch
):
    from grader.notebook import runner

    monkeypatch.setenv("ACADEMY_EXERCISES", str(built / "exercises"))
    monkeypatch.delenv("ACADEMY_SERVER", raising=False)
    starter = (built / "exercises/03-application/runtime-config/starter/settings.py").read_text()
    shown = runner.run_visible_tests("03-application/runtime-config", starter)
    assert shown["status"] == "fail"
    assert {test["visibility"] for test in shown["tests"]} == {"visible"}
    solution = (REPO / "exercises/03-application/runtime-config/solution/settings.py").read_text()
    graded = runner.submit("03-application/runtime-config", solution)
    assert graded["status"] == "pass"
    assert "visible tests only" in graded["where"]
