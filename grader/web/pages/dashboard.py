"""The instructor dashboard: class matrix, per-exercise statistics, attempts chart, CSV."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from datetime import UTC

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse
from sqlmodel import Session, col, select

from grader.service.accounts import courses_taught
from grader.service.catalog import default_course_id
from grader.service.errors import PermissionDenied
from grader.service.models import Role, Submission, User
from grader.service.progress import class_matrix, course_exercises, exercise_stats, grades_csv
from grader.web.deps import ServicesDep, SessionDep
from grader.web.pages.chart import attempts_per_day, bar_chart_svg
from grader.web.pages.errors import PageError
from grader.web.pages.session import InstructorUser
from grader.web.pages.templating import render

router = APIRouter()

_COURSE_ID = re.compile(r"[A-Za-z0-9_.-]{1,64}")


def chosen_course(db: Session, user: User, requested: str | None) -> str:
    """The course to show: the requested one, else the first the instructor teaches."""
    if requested:
        if not _COURSE_ID.fullmatch(requested):
            raise PageError(404, "Not found", "There is no such course.")
        return requested
    if user.role == Role.ADMIN.value:
        return default_course_id(db)
    taught = sorted(courses_taught(db, user))
    return taught[0] if taught else default_course_id(db)


def _forbidden(error: PermissionDenied) -> PageError:
    return PageError(403, "Not your course", error.message)


@router.get("/instructor", name="pages:dashboard")
def dashboard(
    request: Request, user: InstructorUser, db: SessionDep, course: str | None = None
) -> HTMLResponse:
    course_id = chosen_course(db, user, course)
    try:
        matrix = class_matrix(db, user, course_id)
        stats = exercise_stats(db, user, course_id)
    except PermissionDenied as error:
        raise _forbidden(error) from None
    exercises = course_exercises(db, course_id)
    rows = []
    for learner in matrix.learners:
        cells, total = [], 0.0
        for exercise in exercises:
            progress = matrix.cells.get((learner.id or 0, exercise.id))
            if progress is None:
                cells.append({"css": "", "text": "·", "title": "not attempted"})
                continue
            total += progress.best_score
            solved = progress.first_solved_at is not None
            cells.append(
                {
                    "css": "solved" if solved else "tried",
                    "text": f"{progress.best_score:g}/{progress.max_score:g}",
                    "title": f"{progress.attempts} attempts",
                }
            )
        rows.append({"name": learner.display_name or learner.username, "cells": cells,
                     "total": total})
    learner_ids = [learner.id for learner in matrix.learners]
    moments = [
        moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        for moment in db.exec(
            select(Submission.submitted_at).where(
                col(Submission.user_id).in_(learner_ids),
                col(Submission.exercise_id).in_([e.id for e in exercises]),
            )
        )
    ] if learner_ids else []
    chart = bar_chart_svg(attempts_per_day(moments))
    return render(
        request,
        "dashboard.html",
        {
            "nav": "dashboard",
            "course_id": course_id,
            "matrix": matrix,
            "rows": rows,
            "exercise_titles": [{"id": e.id, "title": e.title} for e in exercises],
            "stats": stats,
            "chart": chart,
        },
    )


@router.get("/instructor/grades.csv", name="pages:grades_csv")
def grades(user: InstructorUser, db: SessionDep, course: str | None = None) -> Response:
    course_id = chosen_course(db, user, course)
    try:
        text = grades_csv(db, user, course_id)
    except PermissionDenied as error:
        raise _forbidden(error) from None
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{course_id}-grades.csv"'},
    )


KEEPALIVE_SECONDS = 15.0


@router.get("/instructor/events", name="pages:class_events")
async def class_events(_: InstructorUser, services: ServicesDep) -> StreamingResponse:
    """``changed`` each time a submission is graded; the dashboard then refreshes itself.

    The event carries no data (who, what score): the dashboard re-reads what its viewer may see.
    """

    async def stream() -> AsyncIterator[bytes]:
        async with services.events.subscribe() as inbox:
            yield b": connected\n\n"
            while True:
                try:
                    event = await asyncio.wait_for(inbox.get(), KEEPALIVE_SECONDS)
                except TimeoutError:
                    yield b": keepalive\n\n"
                    continue
                if event.status in ("graded", "error"):
                    yield b"event: changed\ndata: {}\n\n"

    return StreamingResponse(
        stream(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
