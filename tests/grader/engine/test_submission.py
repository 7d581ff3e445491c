"""Turning a .py file, a folder or a notebook into the learner's files."""

from __future__ import annotations

import json

import pytest

from grader.engine import SubmissionError, extract_submission
from grader.engine.submission import notebook_exercises


def notebook(cells: list[dict]) -> str:
    return json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5})


def code_cell(source: str, exercise: str | None = None, **extra) -> dict:
    metadata = {"academy": {"exercise": exercise, **extra}} if exercise else {}
    return {"cell_type": "code", "source": source, "metadata": metadata, "outputs": []}


def test_a_python_file_of_any_name_is_the_learners_file(calc, tmp_path):
    path = tmp_path / "my attempt.py"
    path.write_text("def add(a, b): return a + b\n")
    assert extract_submission(calc, path) == {"calc.py": "def add(a, b): return a + b\n"}


def test_a_folder_must_hold_every_learner_file(calc, tmp_path):
    with pytest.raises(SubmissionError, match=r"lacks calc\.py"):
        extract_submission(calc, tmp_path)
    (tmp_path / "calc.py").write_text("x = 1\n")
    assert extract_submission(calc, tmp_path) == {"calc.py": "x = 1\n"}


def test_a_notebook_gives_the_cells_marked_for_the_exercise_in_order(calc, tmp_path):
    path = tmp_path / "lesson.ipynb"
    path.write_text(notebook([
        code_cell("print('not mine')"),
        code_cell("%load_ext grader.notebook\ndef add(a, b):\n    return a + b", "basics/calc"),
        code_cell("def other(): pass", "basics/other"),
        code_cell(["def pair(a, b):\n", "    return (a, b)"], "basics/calc"),
    ]))
    files = extract_submission(calc, path)
    expected = "def add(a, b):\n    return a + b\n\ndef pair(a, b):\n    return (a, b)\n"
    assert files == {"calc.py": expected}
    assert notebook_exercises(path) == ["basics/calc", "basics/other"]


def test_a_notebook_without_cells_for_the_exercise_says_which_metadata_it_needs(calc, tmp_path):
    path = tmp_path / "lesson.ipynb"
    path.write_text(notebook([code_cell("x = 1")]))
    with pytest.raises(SubmissionError, match='"academy"'):
        extract_submission(calc, path)


def test_other_files_are_refused(calc, tmp_path):
    path = tmp_path / "calc.txt"
    path.write_text("x")
    with pytest.raises(SubmissionError):
        extract_submission(calc, path)
    with pytest.raises(SubmissionError, match="does not exist"):
        extract_submission(calc, tmp_path / "missing.py")
