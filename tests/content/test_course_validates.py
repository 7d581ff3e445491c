"""The course as committed: CI runs `academy course validate` on it, the whole of it.

That runs every exercise's reference solution and starter through the grader, and every
lesson notebook top to bottom twice in a fresh kernel (as shipped, and with the solutions).
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
ACADEMY = str(Path(sys.executable).parent / "academy")


def test_committed_notebooks_have_no_outputs_and_match_their_sources():
    for notebook in sorted((REPO / "content").glob("*.ipynb")):
        cells = json.loads(notebook.read_text())["cells"]
        assert all(not c.get("outputs") for c in cells if c["cell_type"] == "code"), notebook.name
    check = subprocess.run(
        [ACADEMY, "course", "render", "--check"], cwd=REPO, capture_output=True, text=True,
        timeout=120,
    )
    assert check.returncode == 0, check.stdout + check.stderr


@pytest.mark.slow
def test_academy_course_validate_passes_on_the_committed_course():
    result = subprocess.run(
        [ACADEMY, "course", "validate"], cwd=REPO, capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:]
    assert "the course is valid" in result.stdout
    for lesson in ("01-genserver", "02-supervisor", "03-application", "04-task-and-agent"):
        assert f"{lesson}.ipynb as shipped" in result.stdout
        assert f"{lesson}.ipynb with solutions" in result.stdout
