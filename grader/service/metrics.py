"""Prometheus text for ``/metrics``: submissions by status, grading latency, queue depth.

Counts and depth are read from the database at scrape time, so every web replica reports the
same truth; the latency histogram is built from the phase timestamps of recently finished
submissions (submit -> finish), bucketed here. A private registry keeps tests independent.
"""

from __future__ import annotations

from datetime import timedelta

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily
from sqlmodel import Session, col, select

from grader.service import submissions
from grader.service.database import as_utc
from grader.service.models import Submission, SubmissionStatus, utcnow

BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class Metrics:
    window = timedelta(hours=1)

    def render(self, session: Session) -> bytes:
        registry = CollectorRegistry()
        registry.register(_Collector(session, self.window))
        return generate_latest(registry)


class _Collector:
    def __init__(self, session: Session, window: timedelta) -> None:
        self._session = session
        self._window = window

    def collect(self):  # type: ignore[no-untyped-def]
        by_status = GaugeMetricFamily(
            "academy_submissions", "Submissions stored, by status", labels=["status"]
        )
        for status, count in submissions.counts_by_status(self._session).items():
            by_status.add_metric([status], count)
        yield by_status

        yield GaugeMetricFamily(
            "academy_queue_depth",
            "Submissions waiting for a worker",
            value=submissions.queue_depth(self._session),
        )

        since = utcnow() - self._window
        rows = self._session.exec(
            select(Submission.submitted_at, Submission.started_at, Submission.finished_at).where(
                col(Submission.status) == SubmissionStatus.GRADED.value,
                col(Submission.finished_at) >= since,
            )
        ).all()
        for name, help_text, pick in (
            (
                "academy_submit_to_result_seconds",
                "Submitted to graded (last hour)",
                lambda row: (row[0], row[2]),
            ),
            (
                "academy_grading_seconds",
                "Started to graded (last hour)",
                lambda row: (row[1], row[2]),
            ),
        ):
            counts = [0] * len(BUCKETS)
            total = 0.0
            observed = 0
            for row in rows:
                start, end = (as_utc(v) for v in pick(row))
                if start is None or end is None:
                    continue
                seconds = max((end - start).total_seconds(), 0.0)
                observed += 1
                total += seconds
                for index, bound in enumerate(BUCKETS):
                    if seconds <= bound:
                        counts[index] += 1
            buckets = [(f"{bound:g}", counts[index]) for index, bound in enumerate(BUCKETS)]
            buckets.append(("+Inf", observed))
            yield HistogramMetricFamily(name, help_text, buckets=buckets, sum_value=total)
