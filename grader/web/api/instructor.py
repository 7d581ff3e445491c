"""Instructor views of a course: the class matrix, per-exercise statistics, grades as CSV."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from grader.service import progress as progress_domain
from grader.web.api.errors import ERRORS
from grader.web.api.schemas import (
    ClassMatrixOut,
    CourseId,
    ExerciseStatsOut,
    MatrixCell,
    MatrixRow,
    UserOut,
)
from grader.web.deps import BEARER, SessionDep, TokenUser

router = APIRouter(
    prefix="/courses/{course_id}", tags=["instructor"], responses=ERRORS, dependencies=BEARER
)


@router.get("/progress", response_model=ClassMatrixOut)
def class_progress(course_id: CourseId, viewer: TokenUser, session: SessionDep) -> ClassMatrixOut:
    """Learners x exercises: best score, attempts, solved."""
    progress_domain.ensure_course(session, course_id)
    matrix = progress_domain.class_matrix(session, viewer, course_id)
    rows = []
    for learner in matrix.learners:
        cells: dict[str, MatrixCell | None] = {}
        for exercise_id in matrix.exercises:
            cell = matrix.cells.get((learner.id, exercise_id))  # type: ignore[arg-type]
            cells[exercise_id] = (
                MatrixCell(
                    best_score=cell.best_score,
                    max_score=cell.max_score,
                    attempts=cell.attempts,
                    solved=cell.first_solved_at is not None,
                )
                if cell
                else None
            )
        rows.append(MatrixRow(user=UserOut.of(learner), cells=cells))
    return ClassMatrixOut(course_id=course_id, exercises=matrix.exercises, learners=rows)


@router.get("/stats", response_model=list[ExerciseStatsOut])
def exercise_stats(
    course_id: CourseId, viewer: TokenUser, session: SessionDep
) -> list[ExerciseStatsOut]:
    """Per exercise: attempted, solved, pass rate, mean best score, most common failing test."""
    progress_domain.ensure_course(session, course_id)
    return [
        ExerciseStatsOut(**vars(stats))
        for stats in progress_domain.exercise_stats(session, viewer, course_id)
    ]


@router.get(
    "/grades.csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}, "description": "One row per learner"}},
)
def grades_csv(course_id: CourseId, viewer: TokenUser, session: SessionDep) -> Response:
    progress_domain.ensure_course(session, course_id)
    body = progress_domain.grades_csv(session, viewer, course_id)
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{course_id}-grades.csv"'},
    )
