"""The tables. One set of models for SQLite and PostgreSQL; ``migrations/`` creates them.

What learners can reach is deliberately narrow: ``Exercise`` rows hold the prompt, starter and
visible tests only. Hidden tests stay on disk with the engine and never enter the database.
A ``Submission`` row is written before anything is graded and doubles as the embedded queue's
job (``status`` + ``lease_expires_at``); ``Result`` has a unique ``submission_id`` so a
submission can never be graded into two results.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, DateTime, Index, UniqueConstraint
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


def _ts(nullable: bool = True, index: bool = False) -> Any:
    return Field(
        default=None,
        sa_column=Column(DateTime(timezone=True), nullable=nullable, index=index),
    )


class Role(StrEnum):
    LEARNER = "learner"
    INSTRUCTOR = "instructor"
    ADMIN = "admin"


class SubmissionStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    GRADED = "graded"
    ERROR = "error"

    @property
    def is_final(self) -> bool:
        return self in (SubmissionStatus.GRADED, SubmissionStatus.ERROR)


class User(SQLModel, table=True):
    __tablename__ = "users"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64, unique=True, index=True)
    display_name: str = Field(default="", max_length=128)
    role: str = Field(default=Role.LEARNER.value, max_length=16)
    password_hash: str = Field(max_length=255)
    active: bool = Field(default=True)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )


class ApiToken(SQLModel, table=True):
    """A bearer token for the CLI/CI; only its SHA-256 is stored (the token is random)."""

    __tablename__ = "api_tokens"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    name: str = Field(default="", max_length=128)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
    last_used_at: datetime | None = _ts()
    revoked_at: datetime | None = _ts()


class Course(SQLModel, table=True):
    __tablename__ = "courses"

    id: str = Field(primary_key=True, max_length=64)
    title: str = Field(max_length=200)


class CourseMember(SQLModel, table=True):
    """Who belongs to a course, and as what: instructors see their course's learners."""

    __tablename__ = "course_members"

    course_id: str = Field(foreign_key="courses.id", primary_key=True, max_length=64)
    user_id: int = Field(foreign_key="users.id", primary_key=True)
    role: str = Field(default=Role.LEARNER.value, max_length=16)


class Section(SQLModel, table=True):
    __tablename__ = "sections"

    id: str = Field(primary_key=True, max_length=64)
    course_id: str = Field(foreign_key="courses.id", index=True, max_length=64)
    position: int = 0
    title: str = Field(max_length=200)
    summary: str = ""
    notebook: str | None = Field(default=None, max_length=255)
    available: bool = True


class Exercise(SQLModel, table=True):
    """What a learner may see of an exercise; the hidden tests are not here, by design."""

    __tablename__ = "exercises"

    id: str = Field(primary_key=True, max_length=128)
    section_id: str = Field(foreign_key="sections.id", index=True, max_length=64)
    position: int = 0
    title: str = Field(max_length=200)
    difficulty: str = Field(default="", max_length=32)
    prompt: str = ""
    # {file name: text} of what the learner starts from, and of the visible tests.
    starter: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    visible_tests: dict[str, str] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False)
    )
    hints: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    max_score: float = 0.0
    active: bool = True


class Submission(SQLModel, table=True):
    __tablename__ = "submissions"
    __table_args__ = (
        Index("ix_submissions_status_lease", "status", "lease_expires_at"),
        Index("ix_submissions_user_exercise", "user_id", "exercise_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    exercise_id: str = Field(foreign_key="exercises.id", max_length=128)
    files: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    source: str = Field(default="api", max_length=16)
    status: str = Field(default=SubmissionStatus.QUEUED.value, max_length=16)
    attempts: int = 0
    submitted_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
    queued_at: datetime | None = _ts()
    started_at: datetime | None = _ts()
    finished_at: datetime | None = _ts()
    lease_expires_at: datetime | None = _ts()
    worker: str | None = Field(default=None, max_length=128)
    error: str | None = None


class Result(SQLModel, table=True):
    __tablename__ = "results"
    __table_args__ = (UniqueConstraint("submission_id", name="uq_results_submission"),)

    id: int | None = Field(default=None, primary_key=True)
    submission_id: int = Field(foreign_key="submissions.id")
    status: str = Field(max_length=16)
    score: float = 0.0
    max_score: float = 0.0
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    grading_ms: float | None = None
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )


class Progress(SQLModel, table=True):
    __tablename__ = "progress"

    user_id: int = Field(foreign_key="users.id", primary_key=True)
    exercise_id: str = Field(foreign_key="exercises.id", primary_key=True, max_length=128)
    best_score: float = 0.0
    max_score: float = 0.0
    attempts: int = 0
    first_solved_at: datetime | None = _ts()
    last_submission_id: int | None = None
    updated_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
