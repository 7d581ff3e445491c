"""Notebook execution against real kernels (one per test)."""

import nbformat

from grader.course.execution import execute_notebook


def notebook(*sources: str, metadata: dict | None = None):
    cells = [nbformat.v4.new_code_cell(source) for source in sources]
    if metadata:
        cells[-1].metadata.update(metadata)
    return nbformat.v4.new_notebook(cells=cells)


async def test_execution_stops_at_the_first_failing_cell_and_names_it(tmp_path):
    nb = notebook("x = 1", "raise ValueError('boom')", "y = 2")
    run = await execute_notebook(nb, name="demo", cwd=tmp_path, cell_timeout=20)
    assert run.failure is not None
    assert (run.failure.number, run.failure.error_name, run.failure.error_value) == (
        2, "ValueError", "boom",
    )
    assert run.failure.describe() == "cell 2 (`raise ValueError('boom')`) raised ValueError: boom"
    assert nb.cells[2].execution_count is None, "cells after the failure do not run"


async def test_a_cell_over_its_time_limit_is_reported_as_a_timeout(tmp_path):
    nb = notebook("import time", "time.sleep(30)")
    run = await execute_notebook(nb, name="demo", cwd=tmp_path, cell_timeout=1)
    assert run.failure is not None and run.failure.kind == "timeout"
    assert run.failure.number == 2


async def test_top_level_await_works_and_cells_share_one_kernel(tmp_path):
    nb = notebook("import asyncio\nvalue = await asyncio.sleep(0, result=41)", "print(value + 1)")
    run = await execute_notebook(nb, name="demo", cwd=tmp_path, cell_timeout=20)
    assert run.completed
    assert nb.cells[1].outputs[0]["text"] == "42\n"


async def test_results_shown_by_an_exercise_cell_are_collected(tmp_path):
    code = (
        "from grader.notebook.report import ResultsView\n"
        "ResultsView({'status': 'fail', 'score': 0, 'max_score': 1,\n"
        "             'tests': [{'name': 'test_a', 'status': 'fail', 'message': 'no'}]})"
    )
    nb = notebook(code, metadata={"academy": {"exercise": "01-demo/a"}})
    run = await execute_notebook(nb, name="demo", cwd=tmp_path, cell_timeout=20)
    [outcome] = run.exercises
    assert (outcome.exercise_id, outcome.cell_number) == ("01-demo/a", 1)
    assert outcome.ran_tests and not outcome.all_passed
