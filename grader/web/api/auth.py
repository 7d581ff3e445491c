"""Sign in for a token, see and revoke tokens, who am I, and (admins) create users."""

from __future__ import annotations

from fastapi import APIRouter, Depends, status

from grader.service import accounts, progress
from grader.service.catalog import default_course_id
from grader.service.database import begin_write
from grader.service.models import Role, User
from grader.web.api.errors import ERRORS
from grader.web.api.schemas import IdPath, LoginIn, TokenInfo, TokenOut, UserCreateIn, UserOut
from grader.web.deps import BEARER, SessionDep, TokenUser, require_role

router = APIRouter(tags=["auth"], responses=ERRORS)


@router.post("/auth/token", response_model=TokenOut, status_code=status.HTTP_201_CREATED)
def login(body: LoginIn, session: SessionDep) -> TokenOut:
    """Exchange a username and password for a new API token (shown once)."""
    begin_write(session)
    user = accounts.authenticate(session, body.username, body.password)
    issued = accounts.issue_token(session, user, body.token_name)
    return TokenOut(token=issued.secret, token_id=issued.id, user=UserOut.of(user))


@router.get("/auth/tokens", response_model=list[TokenInfo], dependencies=BEARER)
def my_tokens(user: TokenUser, session: SessionDep) -> list[TokenInfo]:
    return [
        TokenInfo(id=t.id, name=t.name, created_at=t.created_at, revoked_at=t.revoked_at)  # type: ignore[arg-type]
        for t in accounts.list_tokens(session, user)
    ]


@router.delete(
    "/auth/tokens/{token_id}", status_code=status.HTTP_204_NO_CONTENT, dependencies=BEARER
)
def revoke(token_id: IdPath, user: TokenUser, session: SessionDep) -> None:
    """Revoke one of your tokens (admins: any token); it stops working at once."""
    begin_write(session)
    accounts.revoke_token(session, user, token_id)


@router.get("/me", response_model=UserOut, dependencies=BEARER)
def me(user: TokenUser) -> UserOut:
    return UserOut.of(user)


@router.post(
    "/users", response_model=UserOut, status_code=status.HTTP_201_CREATED, dependencies=BEARER
)
def create_user(
    body: UserCreateIn,
    session: SessionDep,
    _: User = Depends(require_role(Role.ADMIN)),
) -> UserOut:
    """Admins add learners and instructors; they join the course in that role."""
    begin_write(session)
    user = accounts.create_user(
        session, body.username, body.password, Role(body.role), body.display_name
    )
    course_id = body.course_id or default_course_id(session)
    progress.ensure_course(session, course_id)
    accounts.enroll(session, user, course_id)
    return UserOut.of(user)
