"""The exercise magics in a real kernel, against a real exercise of the repository."""

from pathlib import Path

import nbformat

from grader.course.execution import execute_notebook
from grader.notebook.report import RESULTS_MIME

REPO = Path(__file__).resolve().parents[3]
EXERCISE = "02-supervisor/pipeline"


def code_of(kind: str) -> str:
    return (REPO / "exercises" / EXERCISE / kind / "pipeline.py").read_text()


def results(cell) -> dict:
    [data] = [o["data"][RESULTS_MIME] for o in cell.outputs if RESULTS_MIME in o.get("data", {})]
    return data


COURSE_ENV = {"ACADEMY_EXERCISES": str(REPO / "exercises")}


async def test_exercise_cells_run_visible_tests_and_submit_grades_on_all_tests(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("%load_ext grader.notebook\nService = 'the lesson keeps this'"),
        nbformat.v4.new_code_cell(f"%%exercise {EXERCISE}\n{code_of('starter')}"),
        nbformat.v4.new_code_cell(f"%%exercise {EXERCISE}\n{code_of('solution')}"),
        nbformat.v4.new_code_cell(
            "import sys\nprint(Service, pipeline.__name__, 'pipeline' in sys.modules)"
        ),
        nbformat.v4.new_code_cell(f"%submit {EXERCISE}"),
    ])
    run = await execute_notebook(
        nb, name="magics", cwd=tmp_path, cell_timeout=60, env=COURSE_ENV
    )
    assert run.completed, run.failure and run.failure.describe()

    starter = results(nb.cells[1])
    assert (starter["kind"], starter["status"]) == ("visible tests", "fail")
    assert {t["visibility"] for t in starter["tests"]} == {"visible"}

    solution = results(nb.cells[2])
    assert solution["status"] == "pass" and solution["score"] == solution["max_score"]

    assert nb.cells[3].outputs[0]["text"] == "the lesson keeps this pipeline True\n", (
        "the exercise runs as its own module and leaves the lesson's names alone"
    )

    submitted = results(nb.cells[4])
    assert submitted["kind"] == "submission" and submitted["status"] == "pass"
    assert "hidden" in {t["visibility"] for t in submitted["tests"]}
    assert submitted["where"] == "graded locally"


async def test_an_unknown_exercise_fails_the_cell_with_a_message_that_says_why(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("%load_ext grader.notebook"),
        nbformat.v4.new_code_cell("%%exercise 02-supervisor/nope\nx = 1"),
    ])
    run = await execute_notebook(
        nb, name="magics", cwd=tmp_path, cell_timeout=60, env=COURSE_ENV
    )
    assert run.failure is not None
    assert run.failure.error_name == "NotebookExerciseError"
    assert "unknown exercise `02-supervisor/nope`" in run.failure.error_value
