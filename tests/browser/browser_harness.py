"""A real ``academy serve`` on a free loopback port and headless Chromium driving it.

Helpers live here (importable by the tests as ``browser_harness``); conftest.py only
re-exports the fixtures.

The server runs as a subprocess with its own temporary data directory (SQLite, one grading
worker, its own jupyter_server child); the test accounts are made with ``academy users
create`` against the same data directory, as an administrator would. Chromium is Debian's
``/usr/bin/chromium`` (``./dev test`` installs it); Playwright never downloads a browser.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "docs" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PASSWORD = "browser-tests-password"

# CI machines run other suites beside this one; give assertions room (they return as soon as
# the page matches, so a fast run stays fast).
expect.set_options(timeout=15_000)
ACCOUNTS = {"alice": "learner", "bob": "learner", "carol": "learner", "teacher": "instructor"}


@dataclass(frozen=True)
class Academy:
    url: str
    data_dir: Path
    log: Path


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _academy_command() -> list[str]:
    script = Path(sys.executable).with_name("academy")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from grader.cli import main; main()"]


def _wait_until_serving(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"academy serve exited with {process.returncode}:\n{log.read_text()}"
            )
        try:
            if httpx.get(f"{url}/signin", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)  # a subprocess's port has no event to await
    raise RuntimeError(f"academy serve did not answer on {url} within 90 s:\n{log.read_text()}")


@pytest.fixture(scope="session")
def academy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Academy]:
    data_dir = tmp_path_factory.mktemp("academy-serve")
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "KERNELS_URL")}
    env.update(
        ACADEMY_DATA_DIR=str(data_dir),
        ACADEMY_PORT=str(port),
        ACADEMY_HOST="127.0.0.1",
        ACADEMY_WORKERS="1",
        ACADEMY_SUBMIT_RATE="0",
        ACADEMY_QUEUE="embedded",
    )
    log = data_dir / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*_academy_command(), "serve"], env=env, stdout=out, stderr=subprocess.STDOUT,
            cwd=REPO, start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_serving(url, process, log)
        for username, role in ACCOUNTS.items():
            subprocess.run(
                [*_academy_command(), "users", "create", username, "--role", role,
                 "--password", PASSWORD],
                env=env, cwd=REPO, check=True, capture_output=True,
            )
        yield Academy(url=url, data_dir=data_dir, log=log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, 9)
            process.wait()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Module-scoped on purpose: Playwright's sync API keeps its own event loop marked as
    running in this thread until it stops, which would break every asyncio test after it."""
    assert shutil.which(CHROMIUM) or Path(CHROMIUM).exists(), (
        f"{CHROMIUM} is missing: install Debian's chromium package (./dev test does)"
    )
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def watch_for_script_errors(ctx: BrowserContext) -> list[str]:
    """Collect uncaught JavaScript errors of every page the context opens."""
    errors: list[str] = []
    ctx.on("page", lambda page: page.on("pageerror", lambda error: errors.append(str(error))))
    return errors


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    """A fresh browser profile per test: its own cookies, its own learner."""
    ctx = browser.new_context(viewport={"width": 1200, "height": 900}, color_scheme="light")
    ctx.set_default_timeout(30_000)
    errors = watch_for_script_errors(ctx)
    yield ctx
    ctx.close()
    assert errors == [], f"uncaught script errors: {errors}"


def sign_in(page: Page, academy: Academy, username: str) -> None:
    page.goto(f"{academy.url}/signin")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_url(f"{academy.url}/")


def screenshot(page: Page, name: str, *, full_page: bool = False) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=full_page)
