"""Jinja templates and the context every page shares (user, CSRF token, course title)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from grader.web.pages.session import browser_session, codec_of, is_instructor

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"
templates = Jinja2Templates(directory=str(TEMPLATES_DIR))


def _base_context(request: Request) -> dict[str, Any]:
    user = getattr(request.state, "user", None)
    return {
        "request": request,
        "user": user,
        "is_instructor": bool(user and is_instructor(user)),
        "csrf_token": browser_session(request).csrf,
        "course_title": "OTP Academy",
        "nav": None,
    }


def render(
    request: Request, template: str, context: dict[str, Any] | None = None, status_code: int = 200
) -> HTMLResponse:
    merged = _base_context(request)
    merged.update(context or {})
    response = templates.TemplateResponse(request, template, merged, status_code=status_code)
    if getattr(request.state, "session_is_new", False):
        codec_of(request).write(
            response, browser_session(request), secure=request.url.scheme == "https"
        )
    response.headers.setdefault("Cache-Control", "no-store")
    return response


def render_error(request: Request, status_code: int, heading: str, message: str) -> HTMLResponse:
    if request.headers.get("hx-request"):
        return render(request, "_error_fragment.html", {"message": message}, status_code)
    return render(
        request,
        "error.html",
        {"status_code": status_code, "heading": heading, "message": message},
        status_code,
    )
