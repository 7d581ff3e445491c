"""The browser session cookie and the CSRF token that travels with it.

One signed cookie (``academy_session``, HttpOnly, SameSite=Lax) carries the signed-in user's id
and a random CSRF token; visitors who have not signed in get one too, holding only the token,
so the sign-in form is protected like every other form. The token is rotated at sign-in (a
token planted before sign-in is useless after it). Every unsafe page request must echo the
token, as the ``csrf_token`` form field or the ``X-CSRF-Token`` header htmx sends, and a
request whose ``Origin`` names another site is refused even with a token. WebSockets cannot
carry custom headers, so the kernel socket checks ``Origin`` against the page's own host.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from urllib.parse import urlsplit

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.datastructures import Headers
from starlette.requests import HTTPConnection, Request
from starlette.responses import Response

COOKIE_NAME = "academy_session"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SESSION_MAX_AGE = 14 * 24 * 3600


class CsrfRejected(Exception):
    """An unsafe page request without the session's CSRF token, or from another origin."""


@dataclass(frozen=True)
class BrowserSession:
    csrf: str
    user_id: int | None = None

    @classmethod
    def anonymous(cls) -> BrowserSession:
        return cls(csrf=secrets.token_urlsafe(24))

    def signed_in(self, user_id: int) -> BrowserSession:
        return BrowserSession(csrf=secrets.token_urlsafe(24), user_id=user_id)


class SessionCodec:
    """Signs and reads the session cookie with the service's ``secret_key``."""

    def __init__(self, secret_key: str, *, max_age: int = SESSION_MAX_AGE) -> None:
        if not secret_key:
            raise ValueError("session cookies need Settings.secret_key (ensure_secret_key())")
        self._serializer = URLSafeTimedSerializer(secret_key, salt="academy-browser-session")
        self.max_age = max_age

    def read(self, connection: HTTPConnection) -> BrowserSession | None:
        raw = connection.cookies.get(COOKIE_NAME)
        if not raw:
            return None
        try:
            data = self._serializer.loads(raw, max_age=self.max_age)
        except BadSignature:
            return None
        if not isinstance(data, dict) or not isinstance(data.get("csrf"), str):
            return None
        user_id = data.get("uid")
        if not isinstance(user_id, int):
            user_id = None
        return BrowserSession(csrf=data["csrf"], user_id=user_id)

    def write(self, response: Response, session: BrowserSession, *, secure: bool) -> None:
        payload = {"csrf": session.csrf, "uid": session.user_id}
        response.set_cookie(
            COOKIE_NAME,
            self._serializer.dumps(payload),
            max_age=self.max_age,
            httponly=True,
            samesite="lax",
            secure=secure,
            path="/",
        )

    def clear(self, response: Response) -> None:
        response.delete_cookie(COOKIE_NAME, path="/", httponly=True, samesite="lax")


def same_origin(headers: Headers) -> bool:
    """True when ``Origin`` is absent (same-origin form posts may omit it) or is this host."""
    origin = headers.get("origin")
    if origin is None:
        return True
    parts = urlsplit(origin)
    # The scheme may differ behind a TLS-terminating proxy; the host must not.
    return parts.scheme in ("http", "https") and parts.netloc == headers.get("host", "")


async def verify_csrf(request: Request, session: BrowserSession | None) -> None:
    """Raise ``CsrfRejected`` unless the request echoes the session's token from our origin."""
    if not same_origin(request.headers):
        raise CsrfRejected("cross-site request refused")
    if session is None:
        raise CsrfRejected("no session; reload the page and try again")
    sent = request.headers.get(CSRF_HEADER)
    if sent is None:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()
            value = form.get(CSRF_FIELD)
            sent = value if isinstance(value, str) else None
    if not sent or not hmac.compare_digest(sent, session.csrf):
        raise CsrfRejected("missing or wrong CSRF token; reload the page and try again")
