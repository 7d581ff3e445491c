"""`%submit` through a real grader service: `academy serve` in a subprocess, a learner with an
API token created by `academy users`, and the notebook runner's submission path."""

import os
import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from grader.notebook import runner

REPO = Path(__file__).resolve().parents[3]
BIN = Path(sys.executable).parent
EXERCISE = "02-supervisor/pipeline"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def service(tmp_path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    env = {**os.environ, "ACADEMY_DATA_DIR": str(tmp_path / "data")}
    port = free_port()
    server = subprocess.Popen(
        [str(BIN / "academy"), "serve", "--port", str(port), "--workers", "1"],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        assert server.stdout is not None
        for line in server.stdout:  # the service says when it listens
            if "serving on" in line:
                break
        else:
            pytest.fail("academy serve exited before serving")
        yield f"http://127.0.0.1:{port}", env
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.mark.slow
def test_submit_with_a_service_configured_is_graded_by_the_service_on_hidden_tests_too(
    service: tuple[str, dict[str, str]], monkeypatch: pytest.MonkeyPatch
):
    url, env = service
    created = subprocess.run(
        [str(BIN / "academy"), "users", "create", "ada", "--token"],
        cwd=REPO, env={**env, "ACADEMY_PASSWORD": "a-long-enough-password"},
        capture_output=True, text=True, timeout=60,
    )
    token = re.search(r"token \(shown once\): (\S+)", created.stdout)
    assert token, created.stdout + created.stderr
    monkeypatch.setenv("ACADEMY_SERVER", url)
    monkeypatch.setenv("ACADEMY_TOKEN", token.group(1))
    monkeypatch.setenv("ACADEMY_EXERCISES", str(REPO / "exercises"))
    solution = (REPO / "exercises" / EXERCISE / "solution" / "pipeline.py").read_text()

    result = runner.submit(EXERCISE, solution)

    assert result["where"] == f"graded by {url}"
    assert result["status"] == "pass" and result["score"] == result["max_score"]
    assert "hidden" in {test["visibility"] for test in result["tests"]}


def test_submit_to_a_service_without_a_token_says_how_to_get_one(monkeypatch):
    monkeypatch.setenv("ACADEMY_SERVER", "http://127.0.0.1:9")
    monkeypatch.delenv("ACADEMY_TOKEN", raising=False)
    monkeypatch.setenv("ACADEMY_EXERCISES", str(REPO / "exercises"))
    with pytest.raises(runner.NotebookExerciseError, match="set ACADEMY_TOKEN"):
        runner.submit(EXERCISE, "x = 1")
