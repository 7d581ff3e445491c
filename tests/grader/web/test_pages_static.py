"""What the web app serves besides pages: pinned htmx and assets (no CDN), health of kernels."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from fastapi.testclient import TestClient

from grader.service.settings import Settings
from grader.web.app import create_app

STATIC = Path(__file__).resolve().parents[3] / "grader" / "web" / "static"
TEMPLATES = STATIC.parent / "templates"
PINNED_VERSION = "2.0.11"


def test_vendored_htmx_is_the_pinned_release_byte_for_byte() -> None:
    script = (STATIC / "vendor" / "htmx.min.js").read_bytes()
    assert f'version:"{PINNED_VERSION}"'.encode() in script
    note = (STATIC / "vendor" / "VERSION").read_text()
    assert f"htmx.org {PINNED_VERSION}" in note
    assert f"htmx.min.js sha256: {hashlib.sha256(script).hexdigest()}" in note
    assert (STATIC / "vendor" / "htmx.LICENSE").read_text().startswith("Zero-Clause BSD")


def test_templates_and_scripts_load_nothing_from_another_host() -> None:
    external = re.compile(r"""(src|href)=["']?(https?:)?//""")
    for path in [*TEMPLATES.glob("*.html"), *STATIC.glob("*.js"), *STATIC.glob("*.css")]:
        assert not external.search(path.read_text()), f"{path.name} loads from another host"


def test_static_files_and_the_highlight_stylesheet_are_served(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, secret_key="static-test")
    with TestClient(create_app(settings)) as client:
        htmx = client.get("/static/vendor/htmx.min.js")
        assert htmx.status_code == 200 and PINNED_VERSION in htmx.text
        assert client.get("/static/lesson.js").status_code == 200
        css = client.get("/highlight.css")
        assert css.headers["content-type"].startswith("text/css")
        assert "[data-theme='dark'] .hl" in css.text


def test_healthz_reports_the_kernel_bridge_and_is_healthy_before_it_boots(tmp_path: Path) -> None:
    from grader.service import migrate

    settings = Settings(data_dir=tmp_path, secret_key="health-test")
    migrate.upgrade(settings.resolved_database_url)
    with TestClient(create_app(settings)) as client:
        report = client.get("/healthz").json()
    assert report["checks"]["kernels"]["ok"] is True
    assert "not started" in report["checks"]["kernels"]["detail"]


def test_html_responses_carry_the_security_headers_and_other_responses_are_left_alone(
    tmp_path: Path,
) -> None:
    from grader.service import migrate

    settings = Settings(data_dir=tmp_path, secret_key="headers-test")
    migrate.upgrade(settings.resolved_database_url)
    with TestClient(create_app(settings)) as client:
        page = client.get("/signin")
        script = client.get("/static/lesson.js")
        health = client.get("/healthz")
    assert page.headers["content-type"].startswith("text/html")
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["referrer-policy"] == "same-origin"
    for response in (script, health):
        assert response.status_code == 200
        assert "content-security-policy" not in response.headers
