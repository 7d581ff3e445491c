"""Page-side authentication: who the browser is, and the CSRF guard for unsafe requests.

``PageUser`` is the dependency every signed-in page uses; it reads the signed session cookie
(``grader.web.csrf``), loads the user, and redirects to sign-in when there is none.
``CsrfChecked`` is added to every POST route (htmx sends the token as a header).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from sqlmodel import Session
from starlette.requests import HTTPConnection

from grader.service.models import Role, User
from grader.web.csrf import BrowserSession, SessionCodec, verify_csrf
from grader.web.pages.errors import PageError, SignInRequired


@dataclass(frozen=True)
class SignedIn:
    id: int
    username: str
    display_name: str
    role: str


def codec_of(connection: HTTPConnection) -> SessionCodec:
    return connection.app.state.session_codec


def browser_session(request: Request) -> BrowserSession:
    """The request's session; a fresh anonymous one (written out by ``render``) if none."""
    current = getattr(request.state, "browser_session", None)
    if current is not None:
        return current
    current = codec_of(request).read(request)
    if current is None:
        current = BrowserSession.anonymous()
        request.state.session_is_new = True
    request.state.browser_session = current
    return current


def user_of_connection(connection: HTTPConnection, db: Session) -> User | None:
    """The signed-in, active user behind a request or websocket, or None."""
    stored = codec_of(connection).read(connection)
    if stored is None or stored.user_id is None:
        return None
    user = db.get(User, stored.user_id)
    if user is None or not user.active:
        return None
    return user


def cookie_user_resolver(request: Request, db: Session) -> User | None:
    """Registered on ``app.state.user_resolvers`` so ``deps.CurrentUser`` knows browsers."""
    return user_of_connection(request, db)


def page_user(request: Request) -> User:
    """The signed-in user, read in a short session of its own.

    Not ``SessionDep``: on SQLite a transaction holds the write lock, and some page requests
    wait on a kernel for seconds; holding a transaction that long would stall the workers.
    """
    browser_session(request)
    with request.app.state.services.session() as db:
        user = user_of_connection(request, db)
    if user is None:
        query = f"?{request.url.query}" if request.url.query else ""
        raise SignInRequired(request.url.path + query)
    # A plain copy for templates: error pages render after the session rolled back, when
    # the ORM object can no longer load its attributes.
    request.state.user = SignedIn(user.id or 0, user.username, user.display_name, user.role)
    return user


PageUser = Annotated[User, Depends(page_user)]


def is_instructor(user: User | SignedIn) -> bool:
    return user.role in (Role.INSTRUCTOR.value, Role.ADMIN.value)


def instructor_user(user: PageUser) -> User:
    if not is_instructor(user):
        raise PageError(403, "Instructors only", "This page is for the course's instructors.")
    return user


InstructorUser = Annotated[User, Depends(instructor_user)]


async def csrf_checked(request: Request) -> BrowserSession:
    session = codec_of(request).read(request)
    await verify_csrf(request, session)
    assert session is not None
    request.state.browser_session = session
    return session


CsrfChecked = Annotated[BrowserSession, Depends(csrf_checked)]
