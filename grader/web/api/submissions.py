"""Submit (JSON or an uploaded .py/.ipynb), read a submission, follow it live over SSE."""

from __future__ import annotations

import asyncio
import json
import tempfile
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Annotated, Any

import nbformat
from fastapi import APIRouter, File, Form, Query, Request, UploadFile, status
from fastapi.responses import StreamingResponse
from sqlmodel import Session, col, select

from grader.service import submissions as domain
from grader.service.database import begin_write, read_scope, session_scope
from grader.service.errors import InvalidSubmission, NotFound, SubmissionTooLarge
from grader.service.events import SubmissionEvent
from grader.service.models import Exercise, Result, Submission, SubmissionStatus, User
from grader.service.progress import can_view_user
from grader.service.runtime import Services
from grader.web.api.errors import ERRORS
from grader.web.api.schemas import (
    IdPath,
    IdQuery,
    PlainText,
    SubmissionAccepted,
    SubmissionIn,
    SubmissionOut,
)
from grader.web.deps import (
    BEARER,
    CurrentUser,
    ServicesDep,
    SessionDep,
    TokenUser,
    current_user,
    token_user,
)

router = APIRouter(
    prefix="/submissions", tags=["submissions"], responses=ERRORS, dependencies=BEARER
)

KEEPALIVE_SECONDS = 15.0


def submit(
    services: Services,
    session: Session,
    user: User,
    exercise_id: str,
    files: Mapping[str, Any],
    source: str = "api",
) -> Submission:
    """Store the submission and its queue job in one write transaction, then commit.

    On SQLite the caller's session is committed first and a write transaction begun (see
    ``begin_write``); PostgreSQL needs no write lock up front, so the reads that signed the
    learner in share the transaction and its commit. Committing here, not after the
    endpoint, wakes the workers only once the row is visible. The session stays usable.
    """
    if session.get_bind().dialect.name == "sqlite":
        begin_write(session)
    submission = domain.store_submission(
        session, user, exercise_id, files, services.settings, source=source
    )
    services.queue.enqueue(session, submission)
    session.commit()
    services.queue.committed()
    return submission


def _accepted(submission: Submission) -> SubmissionAccepted:
    url = f"/api/submissions/{submission.id}"
    return SubmissionAccepted(
        id=submission.id,  # type: ignore[arg-type]
        status=submission.status,
        url=url,
        events_url=f"{url}/events",
    )


# The two hot paths (submitting, following) authenticate and touch the database in one
# thread hop instead of one per dependency: under load each hop costs milliseconds.


@router.post("", response_model=SubmissionAccepted, status_code=status.HTTP_202_ACCEPTED)
async def create_submission(
    body: SubmissionIn, request: Request, services: ServicesDep
) -> SubmissionAccepted:
    """Accept files for an exercise; grading happens in the background (follow ``url``)."""

    def store() -> SubmissionAccepted:
        with session_scope(services.engine, write=False) as session:
            user = token_user(request, session)
            return _accepted(submit(services, session, user, body.exercise_id, body.files))

    return await asyncio.to_thread(store)


@router.post("/upload", response_model=SubmissionAccepted, status_code=status.HTTP_202_ACCEPTED)
async def upload_submission(
    exercise_id: Annotated[PlainText, Form(min_length=1, max_length=128)],
    file: Annotated[UploadFile, File(description="The learner's .py file or notebook (.ipynb)")],
    user: TokenUser,
    session: SessionDep,
    services: ServicesDep,
) -> SubmissionAccepted:
    """Accept one uploaded .py file or .ipynb notebook (exercise cells found by metadata)."""
    limit = services.settings.max_upload_bytes
    raw = await file.read(limit + 1)
    if len(raw) > limit:
        raise SubmissionTooLarge(f"the upload is over the limit of {limit} bytes")
    name = file.filename or ""

    def store() -> SubmissionAccepted:
        exercise = session.get(Exercise, exercise_id)
        if exercise is None or not exercise.active:
            raise NotFound(f"unknown exercise {exercise_id!r}; GET /api/exercises lists them")
        files = _files_from_upload(services, exercise, name, raw)
        return _accepted(submit(services, session, user, exercise_id, files, "upload"))

    return await asyncio.to_thread(store)


def _files_from_upload(
    services: Services, exercise: Exercise, name: str, raw: bytes
) -> dict[str, str]:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidSubmission(f"{name!r} is not UTF-8 text") from None
    suffix = Path(name).suffix.lower()
    if suffix == ".py":
        learner_files = list(exercise.starter) or ["solution.py"]
        if len(learner_files) != 1:
            raise InvalidSubmission(
                f"exercise {exercise.id!r} needs {len(learner_files)} files "
                f"({', '.join(learner_files)}); POST them as JSON to /api/submissions"
            )
        return {learner_files[0]: text}
    if suffix == ".ipynb":
        try:
            notebook = nbformat.reads(text, as_version=4)
            nbformat.validate(notebook)
        except Exception as exc:  # nbformat raises several unrelated types
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise InvalidSubmission(
                f"{name!r} is not a valid nbformat notebook: {reason}"
            ) from None
        return _extract_from_notebook(services, exercise.id, text)
    raise InvalidSubmission(f"{name!r}: upload a .py file or a .ipynb notebook")


def _extract_from_notebook(services: Services, exercise_id: str, text: str) -> dict[str, str]:
    from grader.engine import SubmissionError, extract_submission

    exercise = services.catalog.get(exercise_id)
    with tempfile.TemporaryDirectory(prefix="academy-upload-") as folder:
        path = Path(folder) / "submission.ipynb"
        path.write_text(text, encoding="utf-8")
        try:
            return extract_submission(exercise, path)
        except SubmissionError as exc:
            raise InvalidSubmission(str(exc)) from None


def _read(session: Session, viewer: User, submission_id: int) -> SubmissionOut:
    submission = domain.get_visible_submission(session, viewer, submission_id)
    return SubmissionOut.of(submission, domain.result_of(session, submission_id))


def _reload(services: Services, submission_id: int) -> SubmissionOut:
    """The stream's re-read after an event: the viewer was checked on the first read, and
    a submission never changes owner, so only the row and its result are read, in one query
    (this read sits between "graded" and the learner seeing it)."""
    with read_scope(services.engine) as session:
        row = session.exec(
            select(Submission, Result)
            .outerjoin(Result, col(Result.submission_id) == col(Submission.id))
            .where(col(Submission.id) == submission_id)
        ).first()
        if row is None:
            raise NotFound(f"no submission with id {submission_id}")
        return SubmissionOut.of(*row)


@router.get("", response_model=list[SubmissionOut])
def list_submissions(
    viewer: CurrentUser,
    session: SessionDep,
    exercise_id: Annotated[PlainText | None, Query(max_length=128)] = None,
    user_id: IdQuery = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[SubmissionOut]:
    """Your submissions, newest first (instructors: ``user_id`` of a learner they teach)."""
    owner = viewer.id if user_id is None else user_id
    if not can_view_user(session, viewer, owner):  # type: ignore[arg-type]
        raise NotFound(f"no user with id {user_id}")
    query = select(Submission).where(Submission.user_id == owner)
    if exercise_id is not None:
        query = query.where(Submission.exercise_id == exercise_id)
    rows = session.exec(query.order_by(col(Submission.id).desc()).limit(limit)).all()
    return [SubmissionOut.of(row, domain.result_of(session, row.id)) for row in rows]  # type: ignore[arg-type]


@router.get("/{submission_id}", response_model=SubmissionOut)
def get_submission(
    submission_id: IdPath, viewer: CurrentUser, session: SessionDep
) -> SubmissionOut:
    submission = domain.get_visible_submission(session, viewer, submission_id)
    return SubmissionOut.of(submission, domain.result_of(session, submission_id))


@router.get(
    "/{submission_id}/events",
    response_class=StreamingResponse,
    responses={
        200: {
            "content": {"text/event-stream": {}},
            "description": "`status` events until the submission is final, then `end`",
        }
    },
)
async def submission_events(
    submission_id: IdPath, request: Request, services: ServicesDep
) -> StreamingResponse:
    """Server-sent events: the submission (as ``GET`` returns it) each time its status changes."""

    def sign_in_and_load() -> SubmissionOut:
        with read_scope(services.engine) as session:
            return _read(session, current_user(request, session), submission_id)

    # Subscribe before reading: whatever happens after the read arrives as an event.
    inbox = services.events.open_inbox()
    try:
        first = await asyncio.to_thread(sign_in_and_load)
    except BaseException:
        services.events.close_inbox(inbox)
        raise
    return StreamingResponse(
        _stream(services, submission_id, first, inbox),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


def _from_news(current: SubmissionOut, event: SubmissionEvent) -> SubmissionOut | None:
    """The next state from the news alone, when the news carries all that changed.

    Workers send what they wrote in the very transaction that wrote it (the news leaves on
    its commit), so this equals reading the row back, minus the read: on "running" that
    read would land beside the grading it announces, on "graded" it would sit between the
    result and the learner. News without the details (a result too big for a NOTIFY, or a
    step this stream missed) returns None: the caller reads the row.
    """
    status = SubmissionStatus(event.status)
    if status is SubmissionStatus.RUNNING:
        if current.status != SubmissionStatus.QUEUED.value:
            return None
        if event.started is None or event.attempts is None:
            return None
        phases = current.phases.model_copy(update={"started": event.started})
        return current.model_copy(
            update={"status": event.status, "attempts": event.attempts, "phases": phases}
        )
    if not status.is_final or current.status != SubmissionStatus.RUNNING.value:
        return None
    if event.finished is None or (status is SubmissionStatus.GRADED and event.result is None):
        return None
    phases = current.phases.model_copy(update={"finished": event.finished})
    return current.model_copy(
        update={
            "status": event.status,
            "phases": phases,
            "error": event.error,
            "score": event.score,
            "max_score": event.max_score,
            "grading_ms": event.grading_ms,
            "result": event.result,
        }
    )


def _frame(event: str, data: str) -> bytes:
    return f"event: {event}\ndata: {data}\n\n".encode()


async def _stream(
    services: Services,
    submission_id: int,
    current: SubmissionOut,
    inbox: asyncio.Queue[SubmissionEvent],
) -> AsyncIterator[bytes]:
    try:
        yield _frame("status", current.model_dump_json())
        # Without LISTEN/NOTIFY (SQLite), a worker outside this server's process tree cannot
        # reach the hub: re-read often. With PostgreSQL the re-read is only a safety net.
        refresh = KEEPALIVE_SECONDS if services.engine.dialect.name == "postgresql" else 1.0
        while not SubmissionStatus(current.status).is_final:
            try:
                event = await asyncio.wait_for(inbox.get(), refresh)
            except TimeoutError:
                yield b": keepalive\n\n"
            else:
                # News of the status already sent (the "running" event often arrives while
                # the first read is under way) would re-read only to send nothing.
                if event.submission_id != submission_id or event.status == current.status:
                    continue
                told = _from_news(current, event)
                if told is not None:
                    yield _frame("status", told.model_dump_json())
                    current = told
                    continue
            latest = await asyncio.to_thread(_reload, services, submission_id)
            if latest.status != current.status:
                yield _frame("status", latest.model_dump_json())
            current = latest
        yield _frame("end", json.dumps({"id": submission_id, "status": current.status}))
    finally:
        services.events.close_inbox(inbox)
