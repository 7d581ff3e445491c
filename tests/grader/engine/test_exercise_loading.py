"""Loading an exercise folder: what is read, and errors that name exercise, file and field."""

from __future__ import annotations

from pathlib import Path

import pytest
from engine_paths import FIXTURES, REPO

from grader.engine import Catalog, ExerciseError, find_exercise, load_exercise
from grader.engine.results import Visibility


def test_an_exercise_is_loaded_with_its_files_tasks_and_test_cases(calc):
    assert calc.id == "basics/calc"
    assert calc.files == ("calc.py",)
    assert calc.modules == ("calc",)
    assert [task.name for task in calc.tasks] == ["Arithmetic", "Async and objects"]
    assert "def add" in calc.solution["calc.py"]
    assert "NotImplementedError" in calc.starter["calc.py"]
    names = [case.name for case in calc.cases]
    assert names[:2] == ["test_add[1-2-3]", "test_add[-1-1-0]"]
    assert "test_counter_counts_calls" in names


def test_points_come_from_the_task_unless_the_points_table_overrides_a_test(calc):
    points = {case.name: case.max_points for case in calc.cases}
    assert points["test_add[1-2-3]"] == 1
    assert points["test_double_later"] == 2
    assert points["test_counter_counts_calls"] == 3
    assert calc.max_score == sum(points.values()) == 14


def test_hidden_and_visible_tests_are_told_apart(calc):
    visibility = {case.name: case.visibility for case in calc.cases}
    assert visibility["test_add[1-2-3]"] is Visibility.VISIBLE
    assert visibility["test_pair_returns_a_tuple"] is Visibility.HIDDEN


def edit(folder: Path, relative: str, old: str, new: str) -> None:
    path = folder / relative
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


@pytest.mark.parametrize(
    ("relative", "old", "new", "file", "field"),
    [
        ("exercise.toml", 'difficulty = "easy"', 'difficulty = "trivial"', "exercise.toml",
         "difficulty"),
        ("exercise.toml", 'id = "basics/calc"', 'id = "basics/other"', "exercise.toml", "id"),
        ("exercise.toml", 'files = ["calc.py"]', 'files = ["calc.txt"]', "exercise.toml", "files"),
        ("exercise.toml", "points = 2", "points = -1", "exercise.toml", "tasks[1].points"),
        ("exercise.toml", "test_counter_counts_calls = 3", "test_nothing = 3", "exercise.toml",
         "points.test_nothing"),
        ("exercise.toml", "wall_seconds = 6.0", "wall_seconds = 0", "exercise.toml",
         "limits.wall_seconds"),
        ("exercise.toml", "[limits]", "[limits]\nlaps = 3", "exercise.toml", "limits.laps"),
    ],
)
def test_an_invalid_field_is_named_in_the_error(calc_copy, relative, old, new, file, field):
    edit(calc_copy, relative, old, new)
    with pytest.raises(ExerciseError) as caught:
        load_exercise(calc_copy, root=calc_copy.parents[1])
    assert (caught.value.exercise, caught.value.file, caught.value.field) == (
        "basics/calc", file, field,
    )
    assert "basics/calc" in str(caught.value) and field in str(caught.value)


@pytest.mark.parametrize(
    ("relative", "old", "new", "file", "words"),
    [
        ("tests/hidden/test_calc_hidden.py", "def test_pair_returns", "def test_zzz_returns",
         "tests/hidden/test_calc_hidden.py", "matches no [[tasks]]"),
        ("tests/visible/test_calc.py", "def test_divide_by_zero_raises():",
         "@pytest.mark.skip\ndef test_divide_by_zero_raises():", "tests/visible/test_calc.py",
         "mark `skip`"),
        ("tests/visible/test_calc.py", "def test_double_later():",
         "def test_double_later(tmp_path):", "tests/visible/test_calc.py", "`tmp_path`"),
        ("tests/visible/test_calc.py", "import calc", "import calc(", "tests/visible/test_calc.py",
         "syntax error"),
        ("tests/visible/test_calc.py", "async def test_double_later():",
         "@pytest.fixture\ndef loop_a(loop_b): pass\n\n\n@pytest.fixture\ndef loop_b(loop_a): "
         "pass\n\n\nasync def test_double_later(loop_a):", "tests/visible/test_calc.py",
         "`loop_a`"),
        ("tests/visible/test_calc.py", "def test_add(", "def test_pair_returns_a_tuple(",
         "tests/hidden/test_calc_hidden.py", "also defined"),
    ],
)
def test_an_invalid_test_module_is_an_author_error_naming_the_file(
    calc_copy, relative, old, new, file, words
):
    edit(calc_copy, relative, old, new)
    with pytest.raises(ExerciseError) as caught:
        load_exercise(calc_copy, root=calc_copy.parents[1])
    assert caught.value.file == file
    assert words in str(caught.value)


def test_a_missing_starter_file_is_named(calc_copy):
    (calc_copy / "starter" / "calc.py").unlink()
    with pytest.raises(ExerciseError, match=r"starter/calc\.py"):
        load_exercise(calc_copy, root=calc_copy.parents[1])


def test_a_folder_without_exercise_toml_is_refused(tmp_path):
    with pytest.raises(ExerciseError, match=r"exercise\.toml"):
        load_exercise(tmp_path)


def test_the_catalog_finds_exercises_by_id():
    catalog = Catalog.load(FIXTURES)
    assert [exercise.id for exercise in catalog] == ["basics/calc"]
    assert catalog.get("basics/calc").title == "A tiny calculator"
    with pytest.raises(ExerciseError, match="no such exercise"):
        catalog.get("basics/nope")


def test_an_exercise_is_found_by_id_under_a_root_or_by_its_folder():
    assert find_exercise("basics/calc", FIXTURES).id == "basics/calc"
    assert find_exercise(str(FIXTURES / "basics" / "calc")).id == "basics/calc"
    with pytest.raises(ExerciseError):
        find_exercise("basics/nope", FIXTURES)


def test_the_lesson_one_exercises_load():
    root = REPO / "exercises"
    for slug in ("counter", "kv-store", "ticker"):
        exercise = load_exercise(root / "01-genserver" / slug, root=root)
        assert exercise.max_score > 0
