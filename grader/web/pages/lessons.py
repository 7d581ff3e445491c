"""The lesson page (the notebook with live cells and its exercises) and code highlighting."""

from __future__ import annotations

import functools
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, Response
from sqlmodel import Session, col, select

from grader.service.models import Exercise, Section
from grader.web.deps import SessionDep
from grader.web.pages.course import section_progress_of, sections_of
from grader.web.pages.errors import PageError, not_found
from grader.web.pages.exercises import exercise_view
from grader.web.pages.session import CsrfChecked, PageUser
from grader.web.pages.templating import render
from grader.web.rendering import (
    NotebookRenderError,
    RenderedNotebook,
    highlight_css,
    highlight_python,
    render_notebook,
)

router = APIRouter()

MAX_HIGHLIGHT_BYTES = 256 * 1024

_rendered: dict[Path, tuple[float, RenderedNotebook]] = {}


def lesson_notebook(path: Path) -> RenderedNotebook:
    """The rendered notebook, re-read only when the file changed (authors edit live)."""
    mtime = path.stat().st_mtime
    cached = _rendered.get(path)
    if cached is None or cached[0] != mtime:
        cached = (mtime, render_notebook(path))
        _rendered[path] = cached
    return cached[1]


def notebook_path(request: Request, section: Section) -> Path | None:
    if not section.notebook:
        return None
    return Path(request.app.state.settings.content_dir) / section.notebook


def available_section(db: Session, slug: str) -> Section:
    section = db.get(Section, slug) if "\x00" not in slug else None
    if section is None:
        raise not_found("lesson")
    if not section.available:
        raise PageError(404, "Coming soon", f"“{section.title}” is not available yet.")
    return section


@router.get("/lessons/{slug}", name="pages:lesson")
def lesson(request: Request, slug: str, user: PageUser, db: SessionDep) -> HTMLResponse:
    section = available_section(db, slug)
    # Boot the learner's kernel machinery while the page travels; the socket will need it.
    request.app.state.kernel_service.start()
    path = notebook_path(request, section)
    notebook = RenderedNotebook(section.title, (), "")
    notebook_error = None
    if path is None:
        notebook_error = "This lesson has no notebook yet; its exercises are below."
    else:
        try:
            notebook = lesson_notebook(path)
        except (NotebookRenderError, OSError) as error:
            notebook_error = str(error)
    exercises = {
        exercise.id: exercise_view(request, db, user, exercise)
        for exercise in db.exec(
            select(Exercise)
            .where(Exercise.section_id == section.id, col(Exercise.active))
            .order_by(col(Exercise.position))
        )
    }
    placed = set(notebook.exercises)
    ordered = sections_of(db, user)
    index = next((i for i, s in enumerate(ordered) if s.id == section.id), 0)
    neighbours = [s for s in ordered if s.available]
    position = next((i for i, s in enumerate(neighbours) if s.id == section.id), 0)
    return render(
        request,
        "lesson.html",
        {
            "nav": "course",
            "section": section,
            "section_number": index + 1,
            "notebook": notebook,
            "notebook_error": notebook_error,
            "exercises": exercises,
            "loose_exercises": [view for key, view in exercises.items() if key not in placed],
            "item": section_progress_of(db, user, section.id),
            "kernel_url": f"/lessons/{section.id}/kernel",
            "kernel_scope": "lesson",
            "previous": _slugged(neighbours[position - 1]) if position > 0 else None,
            "next": _slugged(neighbours[position + 1]) if position + 1 < len(neighbours) else None,
        },
    )


def _slugged(section: Section) -> dict[str, str]:
    return {"slug": section.id, "title": section.title}


@router.post("/highlight", name="pages:highlight")
async def highlight(request: Request, _: PageUser, __: CsrfChecked) -> Response:
    body = await request.body()
    if len(body) > MAX_HIGHLIGHT_BYTES:
        return PlainTextResponse("too long to highlight", status_code=413)
    return HTMLResponse(highlight_python(body.decode("utf-8", errors="replace")))


@functools.cache
def _highlight_stylesheet() -> str:
    return highlight_css()


@router.get("/highlight.css", name="pages:highlight_css")
def highlight_stylesheet() -> Response:
    return Response(
        _highlight_stylesheet(),
        media_type="text/css",
        headers={"Cache-Control": "public, max-age=3600"},
    )
