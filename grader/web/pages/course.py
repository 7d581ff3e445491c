"""The course map, each section's progress (also as an htmx fragment) and "my progress"."""

from __future__ import annotations

from dataclasses import dataclass, field

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlmodel import Session, col, select

from grader.service.catalog import default_course_id
from grader.service.models import Course, CourseMember, Section, User
from grader.service.progress import ExerciseProgress, progress_of
from grader.web.deps import SessionDep
from grader.web.pages.errors import not_found
from grader.web.pages.session import PageUser
from grader.web.pages.templating import render

router = APIRouter()


@dataclass
class SectionProgress:
    slug: str
    title: str
    summary: str
    available: bool
    solved: int = 0
    total: int = 0
    score: float = 0.0
    max_score: float = 0.0
    rows: list[ExerciseProgress] = field(default_factory=list)


def course_of(db: Session, user: User) -> str:
    """The course a user studies: their first membership, else the service's default."""
    member = db.exec(
        select(CourseMember.course_id)
        .where(CourseMember.user_id == user.id)
        .order_by(col(CourseMember.course_id))
    ).first()
    return member or default_course_id(db)


def sections_of(db: Session, user: User) -> list[Section]:
    course_id = course_of(db, user)
    return list(
        db.exec(
            select(Section).where(Section.course_id == course_id).order_by(col(Section.position))
        )
    )


def course_progress(db: Session, user: User) -> list[SectionProgress]:
    """Every section of the course with the user's solved/total and points in it."""
    items = {
        s.id: SectionProgress(s.id, s.title, getattr(s, "summary", ""), s.available)
        for s in sections_of(db, user)
    }
    for row in progress_of(db, user.id or 0):
        item = items.get(row.section_id)
        if item is None:
            continue
        item.rows.append(row)
        item.total += 1
        item.solved += int(row.solved)
        item.score += row.best_score
        item.max_score += row.max_score
    return list(items.values())


def section_progress_of(db: Session, user: User, slug: str) -> SectionProgress:
    for item in course_progress(db, user):
        if item.slug == slug:
            return item
    raise not_found("section")


@router.get("/", name="pages:course")
def course(request: Request, user: PageUser, db: SessionDep) -> HTMLResponse:
    # Learners land here after signing in: boot the kernels while they pick a lesson.
    request.app.state.kernel_service.start()
    course_row = db.get(Course, course_of(db, user))
    return render(
        request,
        "course.html",
        {
            "nav": "course",
            "sections": course_progress(db, user),
            "course_title": course_row.title if course_row else "OTP Academy",
            "course_subtitle": "Production OTP and Phoenix patterns, taught in Python",
        },
    )


@router.get("/sections/{slug}/progress", name="pages:section_progress")
def section_progress(request: Request, slug: str, user: PageUser, db: SessionDep) -> HTMLResponse:
    item = section_progress_of(db, user, slug)
    return render(request, "_section_progress.html", {"item": item, "live": True})


@router.get("/progress", name="pages:my_progress")
def my_progress(request: Request, user: PageUser, db: SessionDep) -> HTMLResponse:
    groups = [item for item in course_progress(db, user) if item.rows]
    totals = {
        "score": sum(g.score for g in groups),
        "max_score": sum(g.max_score for g in groups),
        "solved": sum(g.solved for g in groups),
        "exercises": sum(g.total for g in groups),
    }
    return render(request, "progress.html", {"nav": "progress", "groups": groups, "totals": totals})
