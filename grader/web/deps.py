"""FastAPI dependencies shared by the JSON API and the HTML pages.

- ``get_services`` / ``ServicesDep``   the process's ``grader.service.runtime.Services``
- ``get_session`` / ``SessionDep``     a database session per request, committed when the
                                       endpoint returns, before the response is sent (rolled
                                       back if it raises); call
                                       ``grader.service.database.begin_write(session)``
                                       right before writing
- ``current_user`` / ``CurrentUser``   the caller: ``Authorization: Bearer <token>`` first,
                                       then any resolver registered on
                                       ``app.state.user_resolvers`` (the pages register the
                                       session-cookie one); 401 when nobody is signed in
- ``require_role(...)``                403 unless the caller has one of the roles

The API's endpoints use ``token_user`` (bearer tokens only) so a browser's cookie can never be
replayed against them cross-site; pages use ``current_user`` behind their CSRF protection.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import HTTPBearer
from sqlmodel import Session

from grader.service import accounts
from grader.service.database import session_scope
from grader.service.errors import AuthenticationFailed, PermissionDenied
from grader.service.models import Role, User
from grader.service.runtime import Services

# (request, session) -> the signed-in user, or None when this resolver does not apply.
UserResolver = Callable[[Request, Session], User | None]


async def get_services(request: Request) -> Services:
    # async: resolved on the event loop, no threadpool hop for a field read.
    return request.app.state.services


ServicesDep = Annotated[Services, Depends(get_services)]


def get_session(services: ServicesDep) -> Iterator[Session]:
    # Starts as a reader. An endpoint that writes calls ``begin_write(session)`` right before
    # its writes: on SQLite, holding the write lock from the first query on would span the
    # threadpool hop between dependencies and endpoint, and under load every pool thread
    # could end up waiting for a lock whose holder waits for a thread.
    with session_scope(services.engine, write=False) as session:
        yield session


# scope="function": commit and release the connection before the response is sent, so a
# client never sees success before the commit, and a long SSE stream holds no connection.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None


def token_user(request: Request, session: SessionDep) -> User:
    secret = _bearer(request)
    if secret is None:
        raise AuthenticationFailed(
            "missing credentials: send 'Authorization: Bearer <token>' "
            "(POST /api/auth/token gives one)"
        )
    return accounts.user_for_token(session, secret)


def current_user(request: Request, session: SessionDep) -> User:
    if _bearer(request) is not None:
        return token_user(request, session)
    for resolve in getattr(request.app.state, "user_resolvers", []):
        user = resolve(request, session)
        if user is not None:
            return user
    raise AuthenticationFailed("sign in first")


# Declares the bearer scheme in the OpenAPI schema (the "Authorize" button of /docs); the
# checking itself is ``token_user``. HTTPBearer is async: no threadpool hop.
bearer_scheme = HTTPBearer(auto_error=False, description="An API token from POST /api/auth/token")
BEARER = [Security(bearer_scheme)]

TokenUser = Annotated[User, Depends(token_user)]
CurrentUser = Annotated[User, Depends(current_user)]


def require_role(*roles: Role) -> Callable[[User], User]:
    allowed = {role.value for role in roles}

    def check(user: CurrentUser) -> User:
        if user.role not in allowed:
            raise PermissionDenied(f"this needs the role {' or '.join(sorted(allowed))}")
        return user

    return check
