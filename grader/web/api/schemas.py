"""Request and response models of the JSON API (what the OpenAPI schema documents)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import Path, Query
from pydantic import AfterValidator, BaseModel, Field

from grader.service import submissions as submission_domain
from grader.service.models import Exercise, Result, Section, Submission, User

# Row ids are 32-bit on PostgreSQL: anything outside is a 422, not a database error.
MAX_ID = 2**31 - 1
IdPath = Annotated[int, Path(ge=1, le=MAX_ID)]
IdQuery = Annotated[int | None, Query(ge=1, le=MAX_ID)]


def _plain_text(value: str) -> str:
    """Text the databases can store: PostgreSQL refuses NUL, neither stores lone surrogates."""
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode text (no lone surrogates)") from None
    return value


PlainText = Annotated[str, AfterValidator(_plain_text)]
ExerciseId = Annotated[str, AfterValidator(_plain_text), Path(max_length=128)]
CourseId = Annotated[str, AfterValidator(_plain_text), Path(max_length=64)]


class LoginIn(BaseModel):
    username: PlainText = Field(min_length=1, max_length=64)
    password: PlainText = Field(min_length=1, max_length=1024)
    token_name: PlainText = Field(default="", max_length=128)


class UserOut(BaseModel):
    id: int
    username: str
    display_name: str
    role: str

    @classmethod
    def of(cls, user: User) -> UserOut:
        return cls(
            id=user.id, username=user.username, display_name=user.display_name, role=user.role
        )  # type: ignore[arg-type]


class TokenOut(BaseModel):
    token: str = Field(description="Shown once; send it as 'Authorization: Bearer <token>'.")
    token_id: int
    user: UserOut


class TokenInfo(BaseModel):
    id: int
    name: str
    created_at: datetime
    revoked_at: datetime | None


class UserCreateIn(BaseModel):
    username: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.@-]+$")
    password: PlainText = Field(min_length=8, max_length=1024)
    role: str = Field(default="learner", pattern="^(learner|instructor|admin)$")
    display_name: PlainText = Field(default="", max_length=128)
    course_id: PlainText | None = Field(
        default=None, max_length=64, description="Default: the course"
    )


class ExerciseSummary(BaseModel):
    id: str
    section_id: str
    title: str
    difficulty: str
    max_score: float

    @classmethod
    def of(cls, exercise: Exercise) -> ExerciseSummary:
        return cls(
            id=exercise.id,
            section_id=exercise.section_id,
            title=exercise.title,
            difficulty=exercise.difficulty,
            max_score=exercise.max_score,
        )


class ExerciseOut(ExerciseSummary):
    prompt: str
    starter: dict[str, str]
    visible_tests: dict[str, str]
    hints: list[str]

    @classmethod
    def of(cls, exercise: Exercise) -> ExerciseOut:
        return cls(
            **ExerciseSummary.of(exercise).model_dump(),
            prompt=exercise.prompt,
            starter=exercise.starter,
            visible_tests=exercise.visible_tests,
            hints=exercise.hints,
        )


class SectionOut(BaseModel):
    id: str
    title: str
    summary: str
    position: int
    available: bool
    notebook: str | None
    exercises: list[ExerciseSummary]

    @classmethod
    def of(cls, section: Section, exercises: list[Exercise]) -> SectionOut:
        return cls(
            id=section.id,
            title=section.title,
            summary=section.summary,
            position=section.position,
            available=section.available,
            notebook=section.notebook,
            exercises=[ExerciseSummary.of(e) for e in exercises],
        )


class SubmissionIn(BaseModel):
    exercise_id: PlainText = Field(min_length=1, max_length=128, examples=["01-genserver/stack"])
    files: dict[str, str] = Field(
        description="File name -> source text, e.g. {'stack.py': '...'}",
        examples=[{"stack.py": "def push(stack, item): ..."}],
    )


class SubmissionAccepted(BaseModel):
    id: int
    status: str
    url: str
    events_url: str


class Phases(BaseModel):
    submitted: str | None
    queued: str | None
    started: str | None
    finished: str | None


class SubmissionOut(BaseModel):
    id: int
    user_id: int
    exercise_id: str
    status: str = Field(description="queued | running | graded | error")
    attempts: int
    source: str
    phases: Phases
    files: dict[str, str]
    error: str | None
    score: float | None
    max_score: float | None
    grading_ms: float | None = Field(
        default=None, description="Time the worker spent in the grader for this submission"
    )
    result: dict[str, Any] | None = Field(description="The engine's result JSON (docs/results.md)")

    @classmethod
    def of(cls, submission: Submission, result: Result | None) -> SubmissionOut:
        return cls(
            id=submission.id,  # type: ignore[arg-type]
            user_id=submission.user_id,
            exercise_id=submission.exercise_id,
            status=submission.status,
            attempts=submission.attempts,
            source=submission.source,
            phases=Phases(**submission_domain.phase_timestamps(submission)),
            files=submission.files,
            error=submission.error,
            score=result.score if result else None,
            max_score=result.max_score if result else None,
            grading_ms=result.grading_ms if result else None,
            result=result.payload if result else None,
        )


class ProgressItem(BaseModel):
    exercise_id: str
    section_id: str
    title: str
    max_score: float
    best_score: float
    attempts: int
    solved: bool
    first_solved_at: datetime | None


class ProgressOut(BaseModel):
    user: UserOut
    solved: int
    total: int
    exercises: list[ProgressItem]


class MatrixCell(BaseModel):
    best_score: float
    max_score: float
    attempts: int
    solved: bool


class MatrixRow(BaseModel):
    user: UserOut
    cells: dict[str, MatrixCell | None]


class ClassMatrixOut(BaseModel):
    course_id: str
    exercises: list[str]
    learners: list[MatrixRow]


class ExerciseStatsOut(BaseModel):
    exercise_id: str
    title: str
    learners: int
    attempted: int
    solved: int
    pass_rate: float
    mean_best_score: float
    submissions: int
    most_common_failure: str | None


class HealthOut(BaseModel):
    ok: bool
    checks: dict[str, dict[str, Any]]
