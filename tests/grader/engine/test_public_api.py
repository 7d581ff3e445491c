"""The engine's public surface is chosen on purpose: the service and the CLI code against it."""

from __future__ import annotations

from pathlib import Path

import grader.engine


def test_the_engine_exports_exactly_its_public_names():
    assert sorted(grader.engine.__all__) == sorted([
        "CapturedOutput", "Catalog", "Comparison", "EngineError", "Exercise", "ExerciseError",
        "ExerciseLimits", "GraderFailure", "GradingResult", "Status", "SubmissionError", "Task",
        "TestResult", "Timings", "Visibility", "extract_submission", "find_exercise", "grade",
        "load_exercise",
    ])
    for name in grader.engine.__all__:
        assert getattr(grader.engine, name) is not None


def test_the_agent_imports_nothing_of_the_grader_but_the_protocol():
    source = Path(grader.engine.__path__[0], "agent.py").read_text()
    imports = [
        line for line in source.splitlines()
        if line.startswith(("import ", "from ")) and "grader" in line
    ]
    assert imports == [
        "from grader.engine.protocol import MAX_ANSWER_BYTES, ProtocolError, clip, decode, encode"
    ]
