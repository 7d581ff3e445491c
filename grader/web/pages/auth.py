"""Sign in and sign out (HTML forms; the API's token login lives in ``grader.web.api.auth``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from grader.service import accounts
from grader.service.errors import AuthenticationFailed
from grader.web.deps import SessionDep
from grader.web.pages.session import CsrfChecked, codec_of, user_of_connection
from grader.web.pages.templating import render

router = APIRouter()


def _safe_next(target: str | None) -> str:
    """Only paths on this site: an open redirect would make phishing links look like ours."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


@router.get("/signin", name="pages:sign_in_form")
def sign_in_form(request: Request, db: SessionDep, next: str = "/") -> Response:
    if user_of_connection(request, db) is not None:
        return RedirectResponse(_safe_next(next), status_code=303)
    return render(request, "signin.html", {"next_url": _safe_next(next), "username": ""})


@router.post("/signin", name="pages:sign_in")
def sign_in(
    request: Request,
    db: SessionDep,
    browser: CsrfChecked,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
    next: Annotated[str, Form()] = "/",
) -> Response:
    try:
        if "\x00" in username or "\x00" in password:  # PostgreSQL text cannot hold NUL
            raise AuthenticationFailed("wrong username or password")
        user = accounts.authenticate(db, username, password)
    except AuthenticationFailed as error:
        context = {"error": str(error.message), "next_url": _safe_next(next), "username": username}
        return render(request, "signin.html", context, status_code=401)
    response = RedirectResponse(_safe_next(next), status_code=303)
    codec_of(request).write(
        response, browser.signed_in(user.id or 0), secure=request.url.scheme == "https"
    )
    return response


@router.post("/signout", name="pages:sign_out")
def sign_out(request: Request, _: CsrfChecked) -> Response:
    response = RedirectResponse("/signin", status_code=303)
    codec_of(request).clear(response)
    return response
