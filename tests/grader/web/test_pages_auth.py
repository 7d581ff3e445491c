"""Page sign-in, the session cookie and CSRF protection."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from pages_support import csrf_of, htmx_headers, sign_in

from grader.service.settings import Settings
from grader.service.testing import (  # noqa: F401
    EXERCISE_ID,
    PASSWORD,
    World,
    database_url,
    postgres_url,
    settings,
    sqlite_template,
    world,
)
from grader.web.app import create_app
from grader.web.csrf import COOKIE_NAME


@pytest.fixture
def browser(settings: Settings, world: World) -> Iterator[TestClient]:  # noqa: F811
    with TestClient(create_app(settings), base_url="http://testserver") as client:
        yield client


def test_pages_send_visitors_to_sign_in_and_back_to_where_they_were_going(
    browser: TestClient,
) -> None:
    answer = browser.get("/progress", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/signin?next=/progress"
    form = browser.get(answer.headers["location"])
    signed = browser.post(
        "/signin",
        data={"username": "alice", "password": PASSWORD, "next": "/progress",
              "csrf_token": csrf_of(form.text)},
        follow_redirects=False,
    )
    assert signed.headers["location"] == "/progress"
    assert "My progress" in browser.get("/progress").text


def test_the_session_cookie_is_httponly_samesite_lax_and_sign_in_rotates_the_csrf_token(
    browser: TestClient,
) -> None:
    form = browser.get("/signin")
    before = csrf_of(form.text)
    assert "httponly" in form.headers["set-cookie"].lower()
    answer = browser.post(
        "/signin",
        data={"username": "alice", "password": PASSWORD, "csrf_token": before},
        follow_redirects=False,
    )
    cookie = answer.headers["set-cookie"].lower()
    assert cookie.startswith(COOKIE_NAME) and "httponly" in cookie and "samesite=lax" in cookie
    assert csrf_of(browser.get("/").text) != before


def test_a_wrong_password_shows_the_form_again_without_signing_in(browser: TestClient) -> None:
    form = browser.get("/signin")
    answer = browser.post(
        "/signin",
        data={"username": "alice", "password": "nope", "csrf_token": csrf_of(form.text)},
    )
    assert answer.status_code == 401
    assert "wrong username or password" in answer.text
    assert browser.get("/", follow_redirects=False).status_code == 303


def test_a_username_with_a_nul_byte_is_a_failed_sign_in_not_a_server_error(
    browser: TestClient,
) -> None:
    form = browser.get("/signin")
    answer = browser.post(
        "/signin",
        data={"username": "ali\x00ce", "password": PASSWORD, "csrf_token": csrf_of(form.text)},
    )
    assert answer.status_code == 401


def test_sign_in_without_the_csrf_token_or_from_another_site_is_refused(
    browser: TestClient,
) -> None:
    token = csrf_of(browser.get("/signin").text)
    missing = browser.post("/signin", data={"username": "alice", "password": PASSWORD})
    assert missing.status_code == 403
    foreign = browser.post(
        "/signin",
        data={"username": "alice", "password": PASSWORD, "csrf_token": token},
        headers={"Origin": "https://evil.example"},
    )
    assert foreign.status_code == 403
    assert browser.get("/", follow_redirects=False).status_code == 303


def test_after_sign_in_the_next_parameter_cannot_leave_the_site(browser: TestClient) -> None:
    form = browser.get("/signin")
    answer = browser.post(
        "/signin",
        data={"username": "alice", "password": PASSWORD, "next": "//evil.example/x",
              "csrf_token": csrf_of(form.text)},
        follow_redirects=False,
    )
    assert answer.headers["location"] == "/"


def test_htmx_requests_need_the_session_csrf_token(browser: TestClient) -> None:
    token = sign_in(browser, "alice")
    path = f"/exercises/{EXERCISE_ID}/submit"
    assert browser.post(path, data={"code": "x = 1\n"}, headers={"HX-Request": "true"}
                        ).status_code == 403
    wrong = htmx_headers("not-the-token")
    assert browser.post(path, data={"code": "x = 1\n"}, headers=wrong).status_code == 403
    assert browser.post(path, data={"code": "x = 1\n"}, headers=htmx_headers(token)
                        ).status_code == 200


def test_a_tampered_session_cookie_counts_as_signed_out(browser: TestClient) -> None:
    sign_in(browser, "alice")
    value = browser.cookies[COOKIE_NAME]
    browser.cookies.set(COOKIE_NAME, value[:-2] + ("AA" if not value.endswith("AA") else "BB"))
    assert browser.get("/", follow_redirects=False).status_code == 303


def test_sign_out_needs_the_csrf_token_and_ends_the_session(browser: TestClient) -> None:
    token = sign_in(browser, "alice")
    assert browser.post("/signout").status_code == 403
    answer = browser.post("/signout", data={"csrf_token": token}, follow_redirects=False)
    assert answer.status_code == 303
    assert browser.get("/", follow_redirects=False).status_code == 303
