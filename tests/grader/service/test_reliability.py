"""Durability with real processes: killed workers, restarted servers, many learners at once.

Every test runs the real ``academy serve`` / ``academy worker`` commands in their own process
groups, in both shapes: SQLite with the embedded queue, and PostgreSQL with procrastinate
workers. Grading uses the ``StubGrader`` (verdicts read from the submission, optional gates),
so these tests measure the service's promises, not the sandbox's speed.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlmodel import select

from grader.service import migrate
from grader.service.database import make_engine, session_scope
from grader.service.models import Progress, Result, Role, Submission
from grader.service.processes import (
    ManagedProcess,
    service_env,
    start_server,
    start_worker,
)
from grader.service.testing import (
    COURSE_ID,
    EXERCISE_ID,
    Account,
    add_accounts,
    create_postgres_database,
    drop_postgres_database,
    seed_course,
)

pytestmark = pytest.mark.slow

# A short lease/heartbeat so a dead worker's work is taken over within seconds.
FAST_RECOVERY = {"ACADEMY_LEASE_SECONDS": "2"}
PQ_WORKER_ARGS = ("--heartbeat", "0.5", "--stalled-after", "2")


@dataclass
class Deployment:
    mode: str  # "embedded" (SQLite) or "procrastinate" (PostgreSQL)
    url: str
    env: dict[str, str]
    logs: Path
    processes: list[ManagedProcess]

    def server(self, workers: int = 2) -> str:
        # Embedded: the server's own worker processes grade; procrastinate: none of its own.
        count = workers if self.mode == "embedded" else 0
        process, base = start_server(
            self.env, self.logs / f"server-{len(self.processes)}.log", workers=count
        )
        self.processes.append(process)
        return base

    def worker(self, *args: str) -> ManagedProcess:
        extra = PQ_WORKER_ARGS if self.mode == "procrastinate" else ()
        log = self.logs / f"worker-{len(self.processes)}.log"
        process = start_worker(self.env, log, *extra, *args)
        self.processes.append(process)
        return process

    def rows(self) -> tuple[list[Submission], list[Result], list[Progress]]:
        engine = make_engine(self.url)
        try:
            with session_scope(engine, write=False) as session:
                return (
                    list(session.exec(select(Submission).order_by(Submission.id))),
                    list(session.exec(select(Result))),
                    list(session.exec(select(Progress))),
                )
        finally:
            engine.dispose()

    def output(self) -> str:
        return "\n".join(p.output()[-3000:] for p in self.processes)


@pytest.fixture(params=["embedded", pytest.param("procrastinate", marks=pytest.mark.postgres)])
def deployment(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Deployment]:
    if request.param == "embedded":
        url = f"sqlite:///{tmp_path / 'academy.db'}"
    else:
        url = create_postgres_database()
    migrate.upgrade(url)
    seed_course(url)
    env = service_env(tmp_path / "data", url, queue=request.param, extra=FAST_RECOVERY)
    deployment = Deployment(request.param, url, env, tmp_path / "logs", [])
    try:
        yield deployment
    finally:
        for process in deployment.processes:
            process.kill_group()
        if request.param == "procrastinate":
            drop_postgres_database(url)


def _learners(deployment: Deployment, count: int) -> list[Account]:
    return add_accounts(
        deployment.url, [(f"learner{i:02d}", Role.LEARNER, COURSE_ID) for i in range(count)]
    )


async def _submit(client: httpx.AsyncClient, who: Account, code: str) -> int:
    response = await client.post(
        "/api/submissions",
        json={"exercise_id": EXERCISE_ID, "files": {"counter.py": code}},
        headers=who.headers,
    )
    assert response.status_code == 202, response.text
    return response.json()["id"]


async def _until(client: httpx.AsyncClient, who: Account, submission_id: int, *wanted: str):
    """Follow the submission's event stream until its status is one of ``wanted``."""
    async with client.stream(
        "GET", f"/api/submissions/{submission_id}/events", headers=who.headers, timeout=120
    ) as stream:
        event = ""
        async for line in stream.aiter_lines():
            if line.startswith("event:"):
                event = line.partition(":")[2].strip()
            elif line.startswith("data:") and event == "status":
                status = json.loads(line.partition(":")[2])["status"]
                if status in wanted:
                    return status
    raise AssertionError(f"stream of {submission_id} ended before {wanted}")


def test_a_worker_killed_mid_grade_is_replaced_and_the_submission_graded_once(
    deployment: Deployment, tmp_path: Path
) -> None:
    (alice,) = _learners(deployment, 1)
    gate = tmp_path / "let-grading-finish"
    base = deployment.server(workers=0)
    doomed = deployment.worker()

    async def scenario() -> None:
        async with httpx.AsyncClient(base_url=base, timeout=30) as client:
            submission_id = await _submit(client, alice, f"# stub-wait-for: {gate}\n")
            await _until(client, alice, submission_id, "running")
            doomed.kill_group()  # SIGKILL mid-grade: no cleanup, no goodbye
            gate.touch()
            deployment.worker()
            assert await _until(client, alice, submission_id, "graded", "error") == "graded"

    asyncio.run(scenario())
    submissions, results, progress = deployment.rows()
    assert [(s.status, s.attempts) for s in submissions] == [("graded", 2)], deployment.output()
    assert len(results) == 1 and results[0].score == 1.0
    assert [(p.attempts, p.best_score) for p in progress] == [(1, 1.0)]


@pytest.mark.postgres
@pytest.mark.parametrize("deployment", ["procrastinate"], indirect=True)
def test_a_procrastinate_worker_is_woken_by_the_news_of_a_job_not_by_its_poll(
    deployment: Deployment,
) -> None:
    """The learner's wait depends on LISTEN/NOTIFY reaching the worker; with the poll an
    hour away, only the news of the deferred job can start the grading."""
    (alice,) = _learners(deployment, 1)
    base = deployment.server(workers=0)
    deployment.worker("--poll", "3600")

    async def scenario() -> str:
        async with httpx.AsyncClient(base_url=base, timeout=30) as client:
            await _until_worker_listens(deployment.url)
            submission_id = await _submit(client, alice, "x = 1\n")
            return await asyncio.wait_for(_until(client, alice, submission_id, "graded"), 60)

    assert asyncio.run(scenario()) == "graded"


async def _until_worker_listens(url: str) -> None:
    """Until the worker's LISTEN connection is up, and its first look at the (empty) queue,
    which follows at once, is done: a job deferred after that can only arrive as news."""
    import psycopg

    listening = (
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
        "AND query LIKE 'LISTEN %procrastinate%'"
    )
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        for _ in range(600):
            row = await (await conn.execute(listening)).fetchone()
            if row and row[0]:
                await asyncio.sleep(0.5)
                return
            await asyncio.sleep(0.1)
    raise AssertionError("the procrastinate worker never LISTENed")


def test_submissions_queued_when_the_server_dies_are_all_graded_after_a_restart(
    deployment: Deployment,
) -> None:
    (alice,) = _learners(deployment, 1)
    base = deployment.server(workers=0)

    async def submit_all() -> list[int]:
        async with httpx.AsyncClient(base_url=base, timeout=30) as client:
            return [await _submit(client, alice, f"# stub-score: {i / 10}\n") for i in range(10)]

    ids = asyncio.run(submit_all())
    deployment.processes[0].kill_group()
    base = deployment.server(workers=2)
    if deployment.mode == "procrastinate":
        deployment.worker()

    async def wait_all() -> None:
        async with httpx.AsyncClient(base_url=base, timeout=30) as client:
            for submission_id in ids:
                assert await _until(client, alice, submission_id, "graded", "error") == "graded"

    asyncio.run(wait_all())
    submissions, results, progress = deployment.rows()
    assert [s.status for s in submissions] == ["graded"] * 10
    assert sorted(r.submission_id for r in results) == ids
    assert [(p.attempts, p.best_score) for p in progress] == [(10, 0.9)]


def test_200_concurrent_submissions_from_50_learners_are_each_graded_exactly_once(
    deployment: Deployment,
) -> None:
    learners = _learners(deployment, 50)
    base = deployment.server(workers=2)
    if deployment.mode == "procrastinate":
        deployment.worker()
        deployment.worker()
    # Learner i submits four fractions; even learners solve it on one of them.
    plan = {
        who.username: [((i + k) % 4) / 4 for k in range(3)] + [1.0 if i % 2 == 0 else 0.5]
        for i, who in enumerate(learners)
    }

    async def one(client: httpx.AsyncClient, who: Account) -> list[int]:
        ids = []
        for fraction in plan[who.username]:
            ids.append(await _submit(client, who, f"# stub-score: {fraction}\n"))
        for submission_id in ids:
            assert await _until(client, who, submission_id, "graded", "error") == "graded"
        return ids

    async def everyone() -> list[int]:
        limits = httpx.Limits(max_connections=400, max_keepalive_connections=100)
        async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as client:
            batches = await asyncio.gather(*(one(client, who) for who in learners))
        return [i for batch in batches for i in batch]

    ids = asyncio.run(everyone())
    submissions, results, progress = deployment.rows()
    assert len(ids) == len(set(ids)) == 200
    assert sorted(s.id for s in submissions) == sorted(ids)
    assert all(s.status == "graded" and s.attempts == 1 for s in submissions)
    assert sorted(r.submission_id for r in results) == sorted(ids)  # one result each
    by_user = {who.id: who.username for who in learners}
    for row in progress:
        scores = plan[by_user[row.user_id]]
        assert row.attempts == 4
        assert row.best_score == max(scores)
        assert (row.first_solved_at is not None) == (1.0 in scores)
    assert len(progress) == 50


def test_the_server_replaces_a_worker_process_that_was_killed_mid_grade(
    tmp_path: Path,
) -> None:
    import os
    import signal

    url = f"sqlite:///{tmp_path / 'academy.db'}"
    migrate.upgrade(url)
    seed_course(url)
    deployment = Deployment(
        "embedded",
        url,
        service_env(tmp_path / "data", url, extra=FAST_RECOVERY),
        tmp_path / "logs",
        [],
    )
    (alice,) = _learners(deployment, 1)
    gate = tmp_path / "let-grading-finish"
    try:
        base = deployment.server(workers=1)  # its only worker: nobody else could take over

        async def scenario() -> None:
            async with httpx.AsyncClient(base_url=base, timeout=30) as client:
                submission_id = await _submit(client, alice, f"# stub-wait-for: {gate}\n")
                await _until(client, alice, submission_id, "running")
                (running,), _, _ = deployment.rows()
                pid = int(running.worker.split(":")[1])  # "host:pid:index"
                os.kill(pid, signal.SIGKILL)
                gate.touch()
                assert await _until(client, alice, submission_id, "graded", "error") == "graded"

        asyncio.run(scenario())
    finally:
        for process in deployment.processes:
            process.kill_group()
    (submission,), results, _ = deployment.rows()
    assert (submission.status, submission.attempts, len(results)) == ("graded", 2, 1)
    assert "restarting it" in deployment.output()
