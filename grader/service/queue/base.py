"""The seam between "a submission was stored" and "someone will grade it"."""

from __future__ import annotations

from typing import Protocol

from sqlmodel import Session

from grader.service.models import Submission
from grader.service.settings import QueueMode, Settings


class GradingQueue(Protocol):
    name: str

    def enqueue(self, session: Session, submission: Submission) -> None:
        """Called inside the transaction that stores ``submission``; commits with it."""

    def committed(self) -> None:
        """Called after that transaction committed (wake local workers)."""


def build_queue(settings: Settings, wake: object | None = None) -> GradingQueue:
    if settings.queue is QueueMode.PROCRASTINATE:
        from grader.service.queue.distributed import ProcrastinateQueue

        return ProcrastinateQueue(settings)
    from grader.service.queue.embedded import EmbeddedQueue

    return EmbeddedQueue(wake)
