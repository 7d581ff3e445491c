"""Helpers for the page tests: a browser-like TestClient session (cookie + CSRF token)."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from grader.service.testing import PASSWORD

_CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
_CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    match = _CSRF_META.search(html) or _CSRF_FIELD.search(html)
    assert match, "the page carries no CSRF token"
    return match.group(1)


def sign_in(client: TestClient, username: str) -> str:
    """Sign in through the form as a browser would; returns the session's CSRF token."""
    form = client.get("/signin")
    answer = client.post(
        "/signin",
        data={"username": username, "password": PASSWORD, "csrf_token": csrf_of(form.text)},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    return csrf_of(client.get("/").text)


def htmx_headers(token: str) -> dict[str, str]:
    return {"HX-Request": "true", "X-CSRF-Token": token}
