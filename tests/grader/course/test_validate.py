from pathlib import Path

import pytest

from grader.course import Course
from grader.course.catalog import Section
from grader.course.execution import CellFailure, ExerciseOutcome, NotebookRun
from grader.course.scaffold import new_exercise
from grader.course.sources import notebook_text, render_lesson
from grader.course.validate import bound_names, judge_run, load_exercises, static_problems

SECTION = Section(1, "01-demo", "Demo", "", "available")
PASS = {"tests": [{"name": "test_a", "status": "pass"}]}
FAIL = {"tests": [{"name": "test_a", "status": "fail", "message": "wrong answer"}]}


@pytest.fixture
def course(tmp_path: Path) -> Course:
    (tmp_path / "content" / "_src").mkdir(parents=True)
    (tmp_path / "content" / "course.toml").write_text(
        '[[sections]]\nslug = "01-demo"\ntitle = "Demo"\nstatus = "available"\n'
    )
    course = Course.load(tmp_path)
    new_exercise(course, "01-demo/greeter")
    return course


def write_lesson(course: Course, text: str, *, render: bool = True) -> None:
    course.source_path(SECTION).write_text(text)
    if render:
        exercises = load_exercises(course.root)
        notebook = render_lesson(course.source_path(SECTION), SECTION, exercises.material)
        course.notebook_path(SECTION).write_text(notebook_text(notebook))


LESSON = "Intro.\n\n```python\nx = 1\n```\n\n```python exercise=01-demo/greeter\n```\n"


def test_a_rendered_lesson_linking_all_its_exercises_has_no_static_problem(course):
    write_lesson(course, LESSON)
    assert static_problems(course, load_exercises(course.root), SECTION) == []


def test_a_hand_edited_notebook_is_reported_stale(course):
    write_lesson(course, LESSON)
    path = course.notebook_path(SECTION)
    path.write_text(path.read_text().replace("x = 1", "x = 2"))
    [problem] = static_problems(course, load_exercises(course.root), SECTION)
    assert "differs from 01-demo.md rendered" in problem


def test_an_exercise_without_a_cell_in_its_lesson_is_reported(course):
    write_lesson(course, "Intro.\n")
    [problem] = static_problems(course, load_exercises(course.root), SECTION)
    assert "exercise `01-demo/greeter` has no exercise cell" in problem


def test_a_lesson_name_that_the_exercise_module_would_rebind_is_reported(course):
    write_lesson(course, LESSON.replace("x = 1", "greeter = 'the lesson greeter'"))
    [problem] = static_problems(course, load_exercises(course.root), SECTION)
    assert "cell 2 binds `greeter`, the module name of exercise `01-demo/greeter`" in problem


def test_bound_names_covers_assignments_definitions_and_imports_but_not_magics():
    code = "%load_ext x\nimport os.path\nfrom a import b as c\nd, e = 1, 2\nasync def f(): ...\n"
    assert bound_names(code) == {"os", "c", "d", "e", "f"}


def run_with(*outcomes: ExerciseOutcome, seconds: float = 5.0) -> NotebookRun:
    return NotebookRun(name="01-demo", seconds=seconds, exercises=list(outcomes))


def test_a_starter_that_passes_its_visible_tests_is_a_problem_as_shipped():
    run = run_with(ExerciseOutcome("01-demo/a", 3, PASS))
    [problem] = judge_run("as shipped", SECTION, run, solved=False)
    assert "the starter of `01-demo/a` passes every visible test" in problem


def test_a_solution_that_fails_a_visible_test_is_a_problem_with_solutions():
    run = run_with(ExerciseOutcome("01-demo/a", 3, FAIL))
    [problem] = judge_run("with solutions", SECTION, run, solved=True)
    assert "fails a visible test: test_a: wrong answer" in problem


def test_an_exercise_cell_that_showed_no_results_is_a_problem_in_both_passes():
    run = run_with(ExerciseOutcome("01-demo/a", 3, None))
    for solved in (False, True):
        [problem] = judge_run("pass", SECTION, run, solved=solved)
        assert "showed no visible-test results" in problem


def test_a_failed_cell_and_a_slow_notebook_are_both_reported():
    run = run_with(seconds=75.0)
    run.cell_seconds = [0.1, 74.9]
    run.failure = CellFailure(2, "boom()", "error", "ValueError", "bad", "")
    problems = judge_run("as shipped", SECTION, run, solved=False)
    assert problems == [
        "01-demo.ipynb (as shipped): cell 2 (`boom()`) raised ValueError: bad",
        "01-demo.ipynb (as shipped): took 75.0 s, over the 60 s budget (slowest: cell 2, 74.9 s)",
    ]
