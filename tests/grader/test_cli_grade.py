"""`academy grade` and `academy course validate` as a user runs them: real processes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures" / "exercises"
CALC = FIXTURES / "basics" / "calc"
ACADEMY = [str(Path(sys.executable).parent / "academy")]


def academy(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ACADEMY_EXERCISES": str(FIXTURES), "COLUMNS": "120"}
    return subprocess.run(
        [*ACADEMY, *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=120
    )


def test_full_marks_exit_0_with_a_human_report():
    run = academy("grade", "basics/calc", str(CALC / "solution" / "calc.py"))
    assert run.returncode == 0, run.stdout + run.stderr
    assert "PASS" in run.stdout and "14 / 14" in run.stdout


def test_below_full_marks_exit_1_and_json_alone_on_stdout(tmp_path):
    junit = tmp_path / "junit.xml"
    run = academy(
        "grade", "basics/calc", str(CALC / "starter" / "calc.py"), "--json", "--junit", str(junit)
    )
    assert run.returncode == 1
    result = json.loads(run.stdout)
    assert (result["status"], result["score"], result["max_score"]) == ("fail", 0, 14)
    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite is not None and suite.get("errors") == str(len(result["tests"]))


def test_the_exercise_can_be_named_by_its_folder():
    run = academy("grade", str(CALC), str(CALC / "solution" / "calc.py"), "--json")
    assert run.returncode == 0
    assert json.loads(run.stdout)["exercise"] == "basics/calc"


@pytest.mark.parametrize(
    "args",
    [("grade", "basics/nope", "x.py"), ("grade", "basics/calc", "missing.py"), ("grade",)],
)
def test_usage_and_exercise_errors_exit_2(args):
    run = academy(*args)
    assert run.returncode == 2, run.stdout + run.stderr


def test_a_broken_exercise_is_an_exercise_error_exit_2(tmp_path):
    broken = tmp_path / "basics" / "calc"
    shutil.copytree(CALC, broken)
    (broken / "exercise.toml").write_text('title = "no id, no files"\n')
    run = academy("grade", str(broken), str(CALC / "solution" / "calc.py"))
    assert run.returncode == 2
    assert "exercise.toml" in run.stdout


def test_grade_all_grades_a_folder_with_a_summary(tmp_path):
    submissions = tmp_path / "class"
    submissions.mkdir()
    shutil.copy(CALC / "solution" / "calc.py", submissions / "ada.py")
    shutil.copy(CALC / "starter" / "calc.py", submissions / "bob.py")
    run = academy("grade", "--all", str(submissions), "basics/calc")
    assert run.returncode == 1
    assert "ada.py" in run.stdout and "bob.py" in run.stdout
    assert "1 of 2 submissions with full marks" in run.stdout
    as_json = json.loads(
        academy("grade", "--all", str(submissions), "basics/calc", "--json").stdout
    )
    assert [r["result"]["score"] for r in as_json["results"]] == [14, 0]


def test_grade_all_finds_exercises_in_notebooks(tmp_path):
    submissions = tmp_path / "class"
    submissions.mkdir()
    cell = {
        "cell_type": "code", "outputs": [], "source": (CALC / "solution" / "calc.py").read_text(),
        "metadata": {"academy": {"exercise": "basics/calc"}},
    }
    notebook = {"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    (submissions / "ada.ipynb").write_text(json.dumps(notebook))
    run = academy("grade", "--all", str(submissions))
    assert run.returncode == 0, run.stdout + run.stderr


def test_course_validate_passes_for_the_fixture_exercises():
    run = academy("course", "validate", "--exercises", str(FIXTURES), "--check", "exercises")
    assert run.returncode == 0, run.stdout
    assert "basics/calc" in run.stdout


def test_course_validate_fails_when_the_starter_already_passes(tmp_path):
    root = tmp_path / "exercises"
    shutil.copytree(CALC, root / "basics" / "calc")
    shutil.copy(CALC / "solution" / "calc.py", root / "basics" / "calc" / "starter" / "calc.py")
    run = academy("course", "validate", "--exercises", str(root), "--check", "exercises")
    assert run.returncode == 1
    assert "starter code already gets full marks" in run.stdout


def test_course_validate_finds_hidden_test_text_in_the_prompt(tmp_path):
    root = tmp_path / "exercises"
    shutil.copytree(CALC, root / "basics" / "calc")
    prompt = root / "basics" / "calc" / "prompt.md"
    leaked = "results = await asyncio.gather(*(calc.double_later(n) for n in range(5)))"
    prompt.write_text(prompt.read_text() + "\n" + leaked + "\n")
    run = academy("course", "validate", "--exercises", str(root), "--check", "exercises")
    assert run.returncode == 1
    assert "hidden test text" in run.stdout


def test_bench_grade_measures_every_contender_on_the_same_submissions():
    from grader.bench.grade_bench import run

    report = run("basics/calc", submissions=4, baseline_submissions=2, root=FIXTURES)
    contenders = [figure.contender for figure in report.figures]
    assert contenders == ["sandbox, 1 worker", "sandbox, 2 workers", "fresh pytest (no isolation)"]
    one, two, baseline = report.figures
    assert (one.submissions, one.full_marks, one.isolation) == (4, 3, "namespaces")
    assert (two.submissions, two.full_marks) == (4, 3)
    assert (baseline.submissions, baseline.full_marks) == (2, 2)
    assert report.speedup == baseline.p50_ms / one.p50_ms
    assert set(report.as_dict()["targets"]) == {"p50_ms", "p50_met", "speedup", "speedup_met"}


def test_course_validate_finds_hidden_test_text_in_a_lesson_notebook(tmp_path):
    root = tmp_path / "exercises"
    shutil.copytree(CALC, root / "basics" / "calc")
    (tmp_path / "content").mkdir()
    leaked = "results = await asyncio.gather(*(calc.double_later(n) for n in range(5)))"
    cell = {"cell_type": "code", "source": leaked, "metadata": {}, "outputs": []}
    (tmp_path / "content" / "lesson.ipynb").write_text(json.dumps({"cells": [cell]}))
    run = academy("course", "validate", "--exercises", str(root), "--check", "exercises")
    assert run.returncode == 1
    assert "content/lesson.ipynb contains hidden test text" in run.stdout
