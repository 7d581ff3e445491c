"""`academy bench service` measures what it says, end to end (a small run, not the figures)."""

from __future__ import annotations

import math

import pytest

from grader.bench.service_bench import run

pytestmark = pytest.mark.slow


def test_a_small_bench_run_reports_engine_alone_and_both_service_runs() -> None:
    report = run(learners=2, per_learner=2, sequential=3, workers=1, concurrency=1)
    assert report.mode == "embedded" and report.engine_alone.n == 3
    alone, crowd = report.runs
    assert (alone.submissions, crowd.submissions) == (3, 4)
    assert crowd.per_second > 0
    for item in (alone, crowd):
        assert item.end_to_end.p50_ms > 0
        assert item.overhead.p50_ms < item.end_to_end.p50_ms  # grading time was subtracted
        assert set(item.phases) >= {"queued->started", "started->finished"}
    assert math.isfinite(report.overhead_ms) and report.ratio > 0
    assert report.as_dict()["runs"][1]["submissions_per_second"] == crowd.per_second
