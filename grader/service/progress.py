"""Progress views and the authorization rule behind them.

The rule, in one place: a learner sees only themself; an instructor sees the learners of the
courses they teach; an admin sees everyone. Every "show me X of user U" goes through
``can_view_user`` or ``require_instructor``.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session, col, select

from grader.service.accounts import courses_taught
from grader.service.database import as_utc
from grader.service.errors import NotFound, PermissionDenied
from grader.service.models import (
    CourseMember,
    Exercise,
    Progress,
    Result,
    Role,
    Section,
    Submission,
    User,
)


def can_view_user(session: Session, viewer: User, user_id: int) -> bool:
    if viewer.id == user_id or viewer.role == Role.ADMIN.value:
        return True
    if viewer.role != Role.INSTRUCTOR.value:
        return False
    taught = courses_taught(session, viewer)
    if not taught:
        return False
    member = session.exec(
        select(CourseMember).where(
            CourseMember.user_id == user_id, col(CourseMember.course_id).in_(taught)
        )
    ).first()
    return member is not None


def require_instructor(session: Session, viewer: User, course_id: str) -> None:
    if viewer.role == Role.ADMIN.value:
        return
    if viewer.role != Role.INSTRUCTOR.value or course_id not in courses_taught(session, viewer):
        raise PermissionDenied(f"only instructors of course {course_id!r} may see this")


@dataclass(frozen=True)
class ExerciseProgress:
    exercise_id: str
    section_id: str
    title: str
    max_score: float
    best_score: float
    attempts: int
    solved: bool
    first_solved_at: datetime | None


def progress_of(session: Session, user_id: int) -> list[ExerciseProgress]:
    rows = session.exec(
        select(Exercise, Progress)
        .join(Section, col(Section.id) == col(Exercise.section_id))
        .join(
            Progress,
            (col(Progress.exercise_id) == col(Exercise.id)) & (col(Progress.user_id) == user_id),
            isouter=True,
        )
        .where(col(Exercise.active))
        .order_by(col(Section.position), col(Exercise.position))
    ).all()
    return [
        ExerciseProgress(
            exercise_id=exercise.id,
            section_id=exercise.section_id,
            title=exercise.title,
            max_score=exercise.max_score,
            best_score=progress.best_score if progress else 0.0,
            attempts=progress.attempts if progress else 0,
            solved=bool(progress and progress.first_solved_at is not None),
            first_solved_at=as_utc(progress.first_solved_at) if progress else None,
        )
        for exercise, progress in rows
    ]


@dataclass
class ClassMatrix:
    course_id: str
    exercises: list[str]
    learners: list[User]
    # (user id, exercise id) -> Progress
    cells: dict[tuple[int, str], Progress] = field(default_factory=dict)


def learners_of(session: Session, course_id: str) -> list[User]:
    return list(
        session.exec(
            select(User)
            .join(CourseMember, col(CourseMember.user_id) == col(User.id))
            .where(
                CourseMember.course_id == course_id,
                CourseMember.role == Role.LEARNER.value,
            )
            .order_by(col(User.username))
        )
    )


def course_exercises(session: Session, course_id: str) -> list[Exercise]:
    return list(
        session.exec(
            select(Exercise)
            .join(Section, col(Section.id) == col(Exercise.section_id))
            .where(Section.course_id == course_id, col(Exercise.active))
            .order_by(col(Section.position), col(Exercise.position))
        )
    )


def class_matrix(session: Session, viewer: User, course_id: str) -> ClassMatrix:
    require_instructor(session, viewer, course_id)
    exercises = [exercise.id for exercise in course_exercises(session, course_id)]
    learners = learners_of(session, course_id)
    ids = [learner.id for learner in learners]
    cells: dict[tuple[int, str], Progress] = {}
    if ids:
        for progress in session.exec(select(Progress).where(col(Progress.user_id).in_(ids))):
            cells[(progress.user_id, progress.exercise_id)] = progress
    return ClassMatrix(course_id=course_id, exercises=exercises, learners=learners, cells=cells)


@dataclass(frozen=True)
class ExerciseStats:
    exercise_id: str
    title: str
    learners: int
    attempted: int
    solved: int
    pass_rate: float
    mean_best_score: float
    submissions: int
    most_common_failure: str | None


def exercise_stats(
    session: Session, viewer: User, course_id: str, *, recent_results: int = 500
) -> list[ExerciseStats]:
    matrix = class_matrix(session, viewer, course_id)
    learner_ids = [learner.id for learner in matrix.learners]
    stats: list[ExerciseStats] = []
    for exercise in course_exercises(session, course_id):
        cells = [
            matrix.cells[(uid, exercise.id)]
            for uid in learner_ids
            if (uid, exercise.id) in matrix.cells
        ]
        solved = sum(1 for cell in cells if cell.first_solved_at is not None)
        failures: Counter[str] = Counter()
        submissions = 0
        if learner_ids:
            payloads = session.exec(
                select(Result.payload)
                .join(Submission, col(Submission.id) == col(Result.submission_id))
                .where(
                    Submission.exercise_id == exercise.id,
                    col(Submission.user_id).in_(learner_ids),
                )
                .order_by(col(Result.id).desc())
                .limit(recent_results)
            ).all()
            submissions = len(payloads)
            for payload in payloads:
                for test in payload.get("tests", []) or []:
                    if test.get("status") not in ("pass", None):
                        failures[str(test.get("name"))] += 1
        stats.append(
            ExerciseStats(
                exercise_id=exercise.id,
                title=exercise.title,
                learners=len(learner_ids),
                attempted=len(cells),
                solved=solved,
                pass_rate=solved / len(cells) if cells else 0.0,
                mean_best_score=sum(c.best_score for c in cells) / len(cells) if cells else 0.0,
                submissions=submissions,
                most_common_failure=failures.most_common(1)[0][0] if failures else None,
            )
        )
    return stats


def grades_csv(session: Session, viewer: User, course_id: str) -> str:
    """One row per learner, one column per exercise (best score), then the total."""
    matrix = class_matrix(session, viewer, course_id)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["username", "display_name", *matrix.exercises, "total"])
    for learner in matrix.learners:
        scores = [
            matrix.cells[(learner.id, ex)].best_score if (learner.id, ex) in matrix.cells else 0.0
            for ex in matrix.exercises
        ]
        writer.writerow(
            [
                learner.username,
                learner.display_name,
                *(f"{s:g}" for s in scores),
                f"{sum(scores):g}",
            ]
        )
    return out.getvalue()


def ensure_course(session: Session, course_id: str) -> None:
    from grader.service.models import Course

    if session.get(Course, course_id) is None:
        raise NotFound(f"no course {course_id!r}")
