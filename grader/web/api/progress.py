"""Progress: mine, or (instructors of their course, admins) a learner's."""

from __future__ import annotations

from fastapi import APIRouter
from sqlmodel import Session

from grader.service import accounts
from grader.service import progress as progress_domain
from grader.service.errors import NotFound
from grader.service.models import User
from grader.web.api.errors import ERRORS
from grader.web.api.schemas import IdPath, ProgressItem, ProgressOut, UserOut
from grader.web.deps import BEARER, SessionDep, TokenUser

router = APIRouter(tags=["progress"], responses=ERRORS, dependencies=BEARER)


def _progress(session: Session, user: User) -> ProgressOut:
    items = [ProgressItem(**vars(item)) for item in progress_domain.progress_of(session, user.id)]  # type: ignore[arg-type]
    return ProgressOut(
        user=UserOut.of(user),
        solved=sum(1 for item in items if item.solved),
        total=len(items),
        exercises=items,
    )


@router.get("/progress/me", response_model=ProgressOut)
def my_progress(user: TokenUser, session: SessionDep) -> ProgressOut:
    return _progress(session, user)


@router.get("/users/{user_id}/progress", response_model=ProgressOut)
def user_progress(user_id: IdPath, viewer: TokenUser, session: SessionDep) -> ProgressOut:
    if not progress_domain.can_view_user(session, viewer, user_id):
        raise NotFound(f"no user with id {user_id}")
    return _progress(session, accounts.get_user(session, user_id))
