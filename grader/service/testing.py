"""Test support for the service: databases on SQLite and PostgreSQL, seeded accounts, clients.

Test modules import the fixtures they use (``from grader.service.testing import ...``), so
the suites under ``tests/grader/service`` and ``tests/grader/web`` share one definition.

PostgreSQL: one fresh database per test session (``academy_test_<random>`` on
``$ACADEMY_TEST_POSTGRES_URL``, default ``postgresql://postgres@127.0.0.1:5432/postgres``),
migrated once and dropped at the end; each test starts from empty tables (TRUNCATE).
SQLite: one migrated template file per session, copied for each test.
"""

from __future__ import annotations

import functools
import os
import secrets
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from sqlalchemy import text

from grader.service import accounts, migrate
from grader.service.database import make_engine, session_scope
from grader.service.models import Course, Exercise, Role, Section, User
from grader.service.passwords import hash_password
from grader.service.settings import Settings

POSTGRES_URL = os.environ.get(
    "ACADEMY_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
COURSE_ID = "otp-academy"
EXERCISE_ID = "01-genserver/counter"
OTHER_EXERCISE_ID = "01-genserver/stack"
PASSWORD = "correct horse battery"
STUB_GRADER = "grader.service.grading:StubGrader"


def _with_database(url: str, name: str) -> str:
    base, _, _ = url.rpartition("/")
    return f"{base}/{name}"


def create_postgres_database(server_url: str = POSTGRES_URL) -> str:
    name = f"academy_test_{secrets.token_hex(4)}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return _with_database(server_url, name)


def drop_postgres_database(url: str, server_url: str = POSTGRES_URL) -> None:
    name = url.rpartition("/")[2]
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def truncate_all(url: str) -> None:
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "TRUNCATE results, progress, submissions, api_tokens, course_members, "
                    "exercises, sections, courses, users, procrastinate_jobs, "
                    "procrastinate_workers RESTART IDENTITY CASCADE"
                )
            )
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    url = create_postgres_database()
    try:
        migrate.upgrade(url)
        yield url
    finally:
        drop_postgres_database(url)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite-template") / "academy.db"
    migrate.upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated, empty database: each test runs once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        target = tmp_path / "academy.db"
        shutil.copyfile(template, target)
        return f"sqlite:///{target}"
    url: str = request.getfixturevalue("postgres_url")
    truncate_all(url)
    return url


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path,
        database_url=database_url,
        content_dir=tmp_path / "content",
        exercises_dir=tmp_path / "exercises",
        grader=STUB_GRADER,
        submit_rate=0,
        secret_key="test-secret",
        lease_seconds=30.0,
    )


@dataclass(frozen=True)
class Account:
    id: int
    username: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass(frozen=True)
class World:
    """A course with two exercises, two learners, an instructor, an outsider and an admin."""

    alice: Account
    bob: Account
    teacher: Account
    outsider_teacher: Account
    admin: Account


def seed_course(url: str) -> None:
    engine = make_engine(url)
    try:
        with session_scope(engine) as session:
            session.add(Course(id=COURSE_ID, title="OTP Academy"))
            session.add(Course(id="other-course", title="Another course"))
            session.flush()
            session.add(Section(id="01-genserver", course_id=COURSE_ID, title="GenServer"))
            session.flush()
            for position, (exercise_id, title) in enumerate(
                [(EXERCISE_ID, "Counter"), (OTHER_EXERCISE_ID, "Stack")]
            ):
                session.add(
                    Exercise(
                        id=exercise_id,
                        section_id="01-genserver",
                        position=position,
                        title=title,
                        prompt=f"Write the {title.lower()}.",
                        starter={"counter.py": "# your code\n"},
                        visible_tests={"tests/visible/test_counter.py": "def test_starts(): ..."},
                        max_score=1.0,
                    )
                )
    finally:
        engine.dispose()


@functools.cache
def _password_hash() -> str:
    return hash_password(PASSWORD)


def add_accounts(url: str, specs: list[tuple[str, Role, str | None]]) -> list[Account]:
    """Users with a token each, enrolled in a course in their role (``None``: no course)."""
    engine = make_engine(url)
    made: list[Account] = []
    try:
        with session_scope(engine) as session:
            for username, role, course in specs:
                # One Argon2 hash per session: hashing is slow on purpose, tests make many users.
                user = User(
                    username=username,
                    display_name=username,
                    role=role.value,
                    password_hash=_password_hash(),
                )
                session.add(user)
                session.flush()
                if course is not None:
                    accounts.enroll(session, user, course, role)
                issued = accounts.issue_token(session, user, "tests")
                made.append(Account(id=user.id, username=username, token=issued.secret))  # type: ignore[arg-type]
    finally:
        engine.dispose()
    return made


@pytest.fixture
def world(settings: Settings) -> World:
    url = settings.resolved_database_url
    seed_course(url)
    alice, bob, teacher, outsider, admin = add_accounts(
        url,
        [
            ("alice", Role.LEARNER, COURSE_ID),
            ("bob", Role.LEARNER, COURSE_ID),
            ("teacher", Role.INSTRUCTOR, COURSE_ID),
            ("outsider", Role.INSTRUCTOR, "other-course"),
            ("admin", Role.ADMIN, None),
        ],
    )
    return World(alice=alice, bob=bob, teacher=teacher, outsider_teacher=outsider, admin=admin)


def grade_pending(settings: Settings) -> None:
    """Grade every queued submission in this process (an embedded worker run until idle)."""
    import asyncio

    from grader.service.queue.embedded import EmbeddedWorker

    asyncio.run(EmbeddedWorker(settings, "test-worker").run(until_idle=True))


@pytest.fixture
def client(settings: Settings, world: World) -> Iterator[object]:
    """A TestClient of the app without pages and without worker processes."""
    from fastapi.testclient import TestClient

    from grader.web.app import create_app

    with TestClient(create_app(settings, pages=False)) as test_client:
        yield test_client
