"""Sections and exercises as learners see them: prompt, starter, visible tests, hints."""

from __future__ import annotations

from fastapi import APIRouter
from sqlmodel import col, select

from grader.service.errors import NotFound
from grader.service.models import Exercise, Section
from grader.web.api.errors import ERRORS
from grader.web.api.schemas import ExerciseId, ExerciseOut, ExerciseSummary, SectionOut
from grader.web.deps import BEARER, SessionDep, TokenUser

router = APIRouter(tags=["catalog"], responses=ERRORS, dependencies=BEARER)


@router.get("/sections", response_model=list[SectionOut])
def list_sections(_: TokenUser, session: SessionDep) -> list[SectionOut]:
    sections = session.exec(select(Section).order_by(col(Section.position))).all()
    exercises = session.exec(
        select(Exercise).where(col(Exercise.active)).order_by(col(Exercise.position))
    ).all()
    by_section: dict[str, list[Exercise]] = {}
    for exercise in exercises:
        by_section.setdefault(exercise.section_id, []).append(exercise)
    return [SectionOut.of(section, by_section.get(section.id, [])) for section in sections]


@router.get("/exercises", response_model=list[ExerciseSummary])
def list_exercises(_: TokenUser, session: SessionDep) -> list[ExerciseSummary]:
    rows = session.exec(
        select(Exercise).where(col(Exercise.active)).order_by(col(Exercise.id))
    ).all()
    return [ExerciseSummary.of(row) for row in rows]


@router.get("/exercises/{exercise_id:path}", response_model=ExerciseOut)
def get_exercise(exercise_id: ExerciseId, _: TokenUser, session: SessionDep) -> ExerciseOut:
    exercise = session.get(Exercise, exercise_id)
    if exercise is None or not exercise.active:
        raise NotFound(f"unknown exercise {exercise_id!r}; GET /api/exercises lists them")
    return ExerciseOut.of(exercise)
