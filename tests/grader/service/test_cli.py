"""The service's commands as a user runs them: serve, db upgrade, users, submit, worker."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from grader.service import migrate
from grader.service.processes import ACADEMY, ManagedProcess, service_env, start_server
from grader.service.settings import Settings
from grader.service.testing import EXERCISE_ID, Account, Role, add_accounts, seed_course


def _run(*argv: str, env: dict[str, str], cwd: Path, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        [ACADEMY, *argv], env=env, cwd=cwd, capture_output=True, text=True, timeout=120, **kwargs
    )


def test_serve_listens_on_loopback_8000_with_embedded_defaults_unless_told_otherwise() -> None:
    settings = Settings.from_env({})
    assert (settings.host, settings.port) == ("127.0.0.1", 8000)
    assert settings.data_dir == Path("var") and settings.queue.value == "embedded"
    assert settings.resolved_database_url.endswith("var/academy.db")


def test_first_serve_creates_the_data_dir_database_and_two_accounts_once(tmp_path: Path) -> None:
    env = service_env(tmp_path / "unused", "")
    del env["ACADEMY_DATA_DIR"], env["DATABASE_URL"]  # the defaults: ./var under the cwd
    first, _ = start_server(env, tmp_path / "first.log", workers=1, cwd=tmp_path)
    first.stop()
    output = first.output()
    assert (tmp_path / "var" / "academy.db").is_file()
    assert "created admin 'admin' with password" in output
    assert "created learner 'demo' with password" in output
    second, _ = start_server(env, tmp_path / "second.log", workers=1, cwd=tmp_path)
    second.stop()
    assert "created" not in second.output()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Account, dict]]:
    """One server for the module's submit tests (starting one takes seconds)."""
    tmp_path = tmp_path_factory.mktemp("served")
    url = f"sqlite:///{tmp_path / 'academy.db'}"
    migrate.upgrade(url)
    seed_course(url)
    (alice,) = add_accounts(url, [("alice", Role.LEARNER, "otp-academy")])
    env = service_env(tmp_path, url)
    server, base = start_server(env, tmp_path / "server.log", workers=1)
    try:
        yield base, alice, env
    finally:
        server.stop()


@pytest.mark.parametrize(
    "code, exit_code",
    [("# stub-score: 1\n", 0), ("# stub-score: 0.5\n", 1), ("# stub-raise: boom\n", 3)],
)
def test_submit_prints_the_verdict_and_exits_like_academy_grade(
    served, tmp_path: Path, code: str, exit_code: int
) -> None:
    base, alice, env = served
    solution = tmp_path / "anything.py"
    solution.write_text(code)
    env = {**env, "ACADEMY_TOKEN": alice.token}
    done = _run("submit", EXERCISE_ID, str(solution), "--server", base, env=env, cwd=tmp_path)
    assert done.returncode == exit_code, done.stdout + done.stderr
    if exit_code == 3:
        assert "grading failed" in done.stdout
    else:
        assert f"{EXERCISE_ID}:" in done.stdout


def test_submit_with_json_prints_the_submission_alone(served, tmp_path: Path) -> None:
    import json

    base, alice, env = served
    solution = tmp_path / "s.py"
    solution.write_text("# stub-score: 1\n")
    done = _run(
        "submit",
        EXERCISE_ID,
        str(solution),
        "--server",
        base,
        "--json",
        env={**env, "ACADEMY_TOKEN": alice.token},
        cwd=tmp_path,
    )
    body = json.loads(done.stdout)
    assert body["status"] == "graded" and body["score"] == body["max_score"] == 1.0


@pytest.mark.parametrize(
    "exercise, token, message",
    [
        ("no/such-exercise", "alice", "unknown exercise"),
        (EXERCISE_ID, "", "ACADEMY_TOKEN"),
        (EXERCISE_ID, "acad_forged", "unknown or revoked"),
    ],
)
def test_submit_usage_errors_exit_2_with_the_reason(
    served, tmp_path: Path, exercise: str, token: str, message: str
) -> None:
    base, alice, env = served
    solution = tmp_path / "s.py"
    solution.write_text("x = 1\n")
    env = {**env, "ACADEMY_TOKEN": alice.token if token == "alice" else token}
    done = _run("submit", exercise, str(solution), "--server", base, env=env, cwd=tmp_path)
    assert done.returncode == 2
    assert message in done.stderr


def test_submit_to_a_server_that_is_down_exits_3(tmp_path: Path) -> None:
    solution = tmp_path / "s.py"
    solution.write_text("x = 1\n")
    env = {**os.environ, "ACADEMY_TOKEN": "acad_x"}
    done = _run(
        "submit",
        EXERCISE_ID,
        str(solution),
        "--server",
        "http://127.0.0.1:9",
        env=env,
        cwd=tmp_path,
    )
    assert done.returncode == 3 and "cannot reach" in done.stderr


def test_db_upgrade_then_users_create_make_a_working_account(tmp_path: Path) -> None:
    env = service_env(tmp_path, f"sqlite:///{tmp_path / 'new.db'}")
    upgraded = _run("db", "upgrade", env=env, cwd=tmp_path)
    assert upgraded.returncode == 0 and "revision 0002" in upgraded.stdout
    created = _run(
        "users",
        "create",
        "carol",
        "--role",
        "instructor",
        "--token",
        env={**env, "ACADEMY_PASSWORD": "a long password"},
        cwd=tmp_path,
    )
    assert created.returncode == 0, created.stderr
    assert "created instructor 'carol'" in created.stdout and "token (shown once): acad_" in (
        created.stdout
    )
    again = _run("users", "create", "carol", env={**env, "ACADEMY_PASSWORD": "x" * 9}, cwd=tmp_path)
    assert again.returncode == 2 and "already exists" in again.stderr
    listing = _run("users", "list", env=env, cwd=tmp_path)
    assert "carol\tinstructor" in listing.stdout


def test_a_standalone_embedded_worker_grades_and_stops_cleanly_on_sigterm(
    tmp_path: Path,
) -> None:
    import time

    from grader.service.database import make_engine, session_scope
    from grader.service.models import Submission, User
    from grader.service.submissions import store_submission

    url = f"sqlite:///{tmp_path / 'academy.db'}"
    migrate.upgrade(url)
    seed_course(url)
    (alice,) = add_accounts(url, [("alice", Role.LEARNER, "otp-academy")])
    settings = Settings(data_dir=tmp_path, database_url=url, submit_rate=0)
    engine = make_engine(url)
    with session_scope(engine) as session:
        store_submission(
            session,
            session.get(User, alice.id),
            EXERCISE_ID,
            {"counter.py": "# stub-score: 1\n"},
            settings,
        )
    worker = ManagedProcess(
        [ACADEMY, "worker"], service_env(tmp_path, url), tmp_path / "worker.log"
    ).start()
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with session_scope(engine, write=False) as session:
                if session.get(Submission, 1).status == "graded":
                    break
            time.sleep(0.1)
        assert worker.stop() in (0, -15), worker.output()
    finally:
        worker.kill_group()
        engine.dispose()
    with session_scope(make_engine(url), write=False) as session:
        assert session.get(Submission, 1).status == "graded"


def test_the_procrastinate_queue_on_sqlite_is_refused_with_the_fix() -> None:
    with pytest.raises(ValueError, match="needs PostgreSQL"):
        Settings.from_env({"ACADEMY_QUEUE": "procrastinate"})
