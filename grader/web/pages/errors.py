"""What a page request can fail with, and how each failure looks in a browser.

    PageError              rendered as error.html (or a small fragment for htmx requests)
    └── SignInRequired     redirect to the sign-in page, then back
    CsrfRejected           (grader.web.csrf) 403 page

Page routes translate the service's errors (NotFound, PermissionDenied) into ``PageError``
so a browser sees a page, not the API's JSON body.
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response

from grader.web.csrf import CsrfRejected


class PageError(Exception):
    def __init__(self, status_code: int, heading: str, message: str) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.heading = heading
        self.message = message


class SignInRequired(PageError):
    def __init__(self, next_url: str) -> None:
        super().__init__(401, "Sign in", "Sign in to see this page.")
        self.next_url = next_url


def not_found(what: str) -> PageError:
    # One message for "missing" and "not yours": a learner cannot probe others' ids.
    return PageError(404, "Not found", f"There is no {what} here for you.")


def install(app: FastAPI) -> None:
    from grader.web.pages.templating import render_error

    @app.exception_handler(SignInRequired)
    async def sign_in(request: Request, exc: SignInRequired) -> Response:
        target = "/signin?next=" + quote(exc.next_url, safe="/")
        if request.headers.get("hx-request"):
            return Response(status_code=401, headers={"HX-Redirect": target})
        return RedirectResponse(target, status_code=303)

    @app.exception_handler(PageError)
    async def page_error(request: Request, exc: PageError) -> Response:
        return render_error(request, exc.status_code, exc.heading, exc.message)

    @app.exception_handler(CsrfRejected)
    async def csrf_rejected(request: Request, exc: CsrfRejected) -> Response:
        return render_error(request, 403, "Request refused", str(exc))
