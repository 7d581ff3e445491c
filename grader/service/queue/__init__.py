"""Who grades a stored submission, and how it gets to them.

- ``base``          the ``GradingQueue`` seam the web layer calls inside its transaction
- ``worker``        one claimed submission -> grader -> idempotent completion (both modes)
- ``embedded``      worker processes beside ``academy serve``, fed from the submissions table
                    (atomic claim with a lease; a restart picks up queued and expired work)
- ``distributed``   procrastinate on PostgreSQL: the job row is inserted on the same
                    connection and transaction as the submission (``academy worker``)
"""

from grader.service.queue.base import GradingQueue, build_queue

__all__ = ["GradingQueue", "build_queue"]
