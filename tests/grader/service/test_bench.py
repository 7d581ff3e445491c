"""`academy bench service` measures what it says, end to end (small runs, not the figures)."""

from __future__ import annotations

import math

import pytest

from grader.bench.service_bench import Report, run
from grader.service.testing import create_postgres_database, drop_postgres_database

pytestmark = pytest.mark.slow


def _check(report: Report, mode: str) -> None:
    assert report.mode == mode and report.engine_alone.n == 3
    alone, crowd = report.runs
    assert (alone.submissions, crowd.submissions, report.instant.submissions) == (3, 4, 4)
    for item in (alone, crowd, report.instant):
        assert item.end_to_end.p50_ms > 0
        assert item.overhead.p50_ms <= item.end_to_end.p50_ms  # grading time was subtracted
        assert set(item.phases) >= {"queued->started", "started->finished"}
    # CPU by part on the crowd runs: the workers grade (sandboxes included), the web serves.
    for item in (crowd, report.instant):
        assert set(item.cpu_ms) >= {"web", "workers", "postgres", "client"}
        assert item.cpu_ms["web"] > 0 and item.cpu_ms["client"] > 0
    assert crowd.cpu_ms["workers"] > report.instant.cpu_ms["workers"]  # real grading costs
    assert math.isfinite(report.overhead_ms) and report.ratio > 0
    assert report.engine_per_second > 0 and report.throughput_ratio > 0
    figures = report.as_dict()
    assert figures["runs"][1]["submissions_per_second"] == crowd.per_second
    assert figures["service_alone"]["cpu_ms"] == report.instant.cpu_ms


def test_a_small_bench_run_reports_engine_alone_and_every_service_run() -> None:
    report = run(learners=2, per_learner=2, sequential=3, workers=1, concurrency=1)
    _check(report, "embedded")


@pytest.mark.postgres
def test_a_small_bench_run_of_the_deployed_shape() -> None:
    url = create_postgres_database()
    try:
        report = run(
            learners=2, per_learner=2, sequential=3, workers=1, concurrency=1, database_url=url
        )
    finally:
        drop_postgres_database(url)
    _check(report, "procrastinate")
    assert report.runs[1].cpu_ms["postgres"] > 0
