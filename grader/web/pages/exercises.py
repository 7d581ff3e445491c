"""Exercises on a page: the exercise cell's data, Run tests, Submit, feedback, the page alone.

"Run tests" runs the visible tests in the learner's own kernel through the lesson extension's
``%%exercise`` magic (the same code path as the notebook in Jupyter), and falls back to the
grading engine when the kernel is unavailable. "Submit" goes through the service's submission
API (stored, queued, graded by a worker); the page follows it over the API's SSE stream and
fetches the feedback fragment when it is final.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, replace
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse
from sqlmodel import Session, col, select

from grader.service.errors import NotFound, ServiceError
from grader.service.models import Exercise, Progress, Section, Submission, SubmissionStatus, User
from grader.service.submissions import get_visible_submission, result_of
from grader.web.deps import ServicesDep, SessionDep
from grader.web.kernels import KernelBridgeError, KernelKey
from grader.web.kernels.messages import RESULTS_MIME
from grader.web.pages.errors import not_found
from grader.web.pages.feedback import Feedback, feedback_from_result
from grader.web.pages.kernel_socket import setup_code_for
from grader.web.pages.session import CsrfChecked, PageUser
from grader.web.pages.templating import render, templates
from grader.web.rendering import highlight_python, render_markdown

router = APIRouter()

CHECK_SECONDS = 60.0


@dataclass(frozen=True)
class ExerciseView:
    id: str
    anchor: str
    title: str
    section_id: str
    prompt_html: str
    main_file: str
    code: str
    highlighted: str
    starter_code: str
    restored: bool
    hints: tuple[str, ...]  # rendered Markdown
    visible_tests: tuple[tuple[str, str], ...]
    feedback_html: str
    max_score: float
    best_score: float
    attempts: int
    solved: bool


def main_file(exercise: Exercise) -> str:
    """The file a learner edits on the page: the exercise's first (usually only) file."""
    return next(iter(exercise.starter), "solution.py")


def files_for(exercise: Exercise, code: str) -> dict[str, str]:
    """What is submitted: the starter's files, with the edited one replaced."""
    files = dict(exercise.starter)
    files[main_file(exercise)] = code
    return files


def last_submission(db: Session, user_id: int, exercise_id: str) -> Submission | None:
    return db.exec(
        select(Submission)
        .where(Submission.user_id == user_id, Submission.exercise_id == exercise_id)
        .order_by(col(Submission.id).desc())
    ).first()


def render_fragment(request: Request, template: str, **context: Any) -> str:
    return templates.get_template(template).render(request=request, **context)


def submission_fragment(request: Request, db: Session, submission: Submission) -> str:
    """Feedback for a final submission, or the live status box for one still grading."""
    if not SubmissionStatus(submission.status).is_final:
        return render_fragment(
            request, "_submission_pending.html",
            submission_id=submission.id, status=submission.status,
        )
    result = result_of(db, submission.id or 0)
    when = submission.submitted_at.strftime("%Y-%m-%d %H:%M UTC")
    if result is None:
        payload = {"status": "error", "score": 0, "max_score": 0,
                   "message": submission.error or "grading failed; submit again"}
    else:
        payload = result.payload or {
            "status": result.status, "score": result.score, "max_score": result.max_score,
        }
    fb = feedback_from_result(payload, f"Submission #{submission.id}", when=when)
    return render_fragment(request, "_feedback.html", fb=fb)


def exercise_view(request: Request, db: Session, user: User, exercise: Exercise) -> ExerciseView:
    main = main_file(exercise)
    starter = exercise.starter.get(main, "")
    latest = last_submission(db, user.id or 0, exercise.id)
    code = latest.files.get(main, starter) if latest is not None else starter
    progress = db.get(Progress, (user.id, exercise.id))
    return ExerciseView(
        id=exercise.id,
        anchor=exercise.id.replace("/", "--"),
        title=exercise.title,
        section_id=exercise.section_id,
        prompt_html=render_markdown(exercise.prompt),
        main_file=main,
        code=code,
        highlighted=highlight_python(code),
        starter_code=starter,
        restored=latest is not None,
        hints=tuple(render_markdown(hint) for hint in exercise.hints),
        visible_tests=tuple(
            (name, highlight_python(source)) for name, source in exercise.visible_tests.items()
        ),
        feedback_html=submission_fragment(request, db, latest) if latest is not None else "",
        max_score=exercise.max_score,
        best_score=progress.best_score if progress else 0.0,
        attempts=progress.attempts if progress else 0,
        solved=bool(progress and progress.first_solved_at is not None),
    )


def visible_exercise(db: Session, exercise_id: str) -> Exercise:
    # PostgreSQL text cannot hold NUL: such an id names nothing, it must not be an error.
    exercise = db.get(Exercise, exercise_id) if "\x00" not in exercise_id else None
    if exercise is None or not exercise.active:
        raise not_found("exercise")
    return exercise


def kernel_key(user: User, exercise: Exercise, scope: str) -> KernelKey:
    """Which of the learner's kernels runs the tests: the lesson's, or the exercise page's."""
    lesson = exercise.section_id if scope == "lesson" else f"exercise:{exercise.id}"
    return KernelKey(str(user.id), lesson)


async def run_in_kernel(request: Request, key: KernelKey, exercise_id: str, code: str) -> dict:
    """Run ``%%exercise`` in the learner's kernel; the extension displays the results JSON."""
    service = request.app.state.kernel_service
    learners = await service.learners()
    setup = await asyncio.to_thread(setup_code_for, request, key.lesson)
    kernel = await learners.get(key, setup)
    source = f"%%exercise {exercise_id}\n{code}"
    failure: str | None = None
    try:
        async with asyncio.timeout(CHECK_SECONDS):
            async for event in kernel.connection.execute(source):
                data = event.get("data") or {}
                if RESULTS_MIME in data:
                    return dict(data[RESULTS_MIME])
                if event["type"] == "error":
                    failure = "\n".join(event["traceback"][-3:]) or (
                        f"{event['ename']}: {event['evalue']}"
                    )
    except TimeoutError:
        with contextlib.suppress(KernelBridgeError):
            await learners.interrupt(key)
        failure = (
            f"the tests did not finish within {CHECK_SECONDS:.0f} s; the kernel was interrupted"
        )
    return {
        "status": "error", "score": 0, "max_score": 0, "tests": [],
        "message": "Your code could not be tested: " + (failure or "no results came back"),
    }


async def run_with_engine(request: Request, exercise: Exercise, code: str) -> dict:
    """The grading engine on the visible tests only, when no kernel can be used."""
    from grader.engine import grade

    services = request.app.state.services
    loaded = await asyncio.to_thread(services.catalog.get, exercise.id)
    visible = replace(loaded, cases=tuple(c for c in loaded.cases if c.visibility == "visible"))
    result = await grade(visible, files_for(exercise, code))
    return result.to_json()


@router.post("/exercises/{exercise_id:path}/check", name="pages:check_exercise")
async def check_exercise(
    request: Request,
    exercise_id: str,
    user: PageUser,
    _: CsrfChecked,
    code: Annotated[str, Form()] = "",
    scope: Annotated[str, Form()] = "lesson",
) -> HTMLResponse:
    # No request-long database session: the kernel may take seconds (see session.page_user).
    with request.app.state.services.session() as db:
        exercise = visible_exercise(db, exercise_id)
    try:
        payload = await run_in_kernel(request, kernel_key(user, exercise, scope), exercise.id, code)
    except KernelBridgeError:
        payload = await run_with_engine(request, exercise, code)
    fb: Feedback = feedback_from_result(payload, "Visible tests")
    return render(request, "_feedback.html", {"fb": fb})


@router.post("/exercises/{exercise_id:path}/submit", name="pages:submit_exercise")
def submit_exercise(
    request: Request,
    exercise_id: str,
    user: PageUser,
    db: SessionDep,
    services: ServicesDep,
    _: CsrfChecked,
    code: Annotated[str, Form()] = "",
) -> HTMLResponse:
    from grader.web.api.submissions import submit

    exercise = visible_exercise(db, exercise_id)
    try:
        submission = submit(services, db, user, exercise.id, files_for(exercise, code), "web")
    except ServiceError as error:
        return render(
            request, "_error_fragment.html", {"message": error.message}, error.status_code
        )
    return render(
        request, "_submission_pending.html",
        {"submission_id": submission.id, "status": submission.status},
    )


@router.get("/submissions/{submission_id}/feedback", name="pages:submission_feedback")
def submission_feedback(
    request: Request, submission_id: int, user: PageUser, db: SessionDep
) -> HTMLResponse:
    try:
        submission = get_visible_submission(db, user, submission_id)
    except NotFound:
        raise not_found("submission") from None
    return HTMLResponse(submission_fragment(request, db, submission))


@router.get("/exercises/{exercise_id:path}", name="pages:exercise")
def exercise_page(
    request: Request, exercise_id: str, user: PageUser, db: SessionDep
) -> HTMLResponse:
    exercise = visible_exercise(db, exercise_id)
    view = exercise_view(request, db, user, exercise)
    history = []
    for row in db.exec(
        select(Submission)
        .where(Submission.user_id == user.id, Submission.exercise_id == exercise.id)
        .order_by(col(Submission.id).desc())
        .limit(20)
    ):
        result = result_of(db, row.id or 0)
        history.append(
            {
                "id": row.id,
                "when": row.submitted_at.strftime("%Y-%m-%d %H:%M UTC"),
                "status": row.status,
                "score": result.score if result else None,
                "max_score": result.max_score if result else exercise.max_score,
            }
        )
    return render(
        request,
        "exercise.html",
        {
            "ex": view,
            "section": db.get(Section, exercise.section_id),
            "history": history,
            "kernel_url": f"/exercises/{exercise.id}/kernel",
            "kernel_scope": "exercise",
        },
    )
