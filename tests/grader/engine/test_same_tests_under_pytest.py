"""The visible tests the grader runs are plain pytest files: a learner runs them as they are."""

from __future__ import annotations

import shutil
import subprocess
import sys

from engine_paths import REPO


def test_lesson_one_visible_tests_pass_under_pytest_against_the_reference_solutions(tmp_path):
    for slug in ("counter", "kv-store", "ticker"):
        exercise = REPO / "exercises" / "01-genserver" / slug
        for path in [*(exercise / "solution").glob("*.py"), *(exercise / "tests" / "visible").glob(
            "test_*.py"
        )]:
            shutil.copy(path, tmp_path / path.name)
    (tmp_path / "pytest.ini").write_text(
        "[pytest]\nasyncio_mode = auto\nasyncio_default_fixture_loop_scope = function\n"
    )
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "10 passed" in run.stdout
