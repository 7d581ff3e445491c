"""Lessons in a real browser: live cells, exercises, progress, the instructor's view, privacy.

Every test drives headless Chromium against one real ``academy serve`` (see conftest.py) and
saves screenshots of the pages it visits to docs/screenshots/ (linked from the README).
"""

from __future__ import annotations

import csv
import io
import json
import re
import time
from collections.abc import Iterator

import httpx
import pytest
from browser_harness import REPO, Academy, screenshot, sign_in, watch_for_script_errors
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect

pytestmark = pytest.mark.browser

LESSON = "01-genserver"
EXERCISE = "01-genserver/counter"
ANCHOR = "ex-01-genserver--counter"
SOLUTION = (REPO / "exercises" / EXERCISE / "solution" / "counter.py").read_text()
STARTER = (REPO / "exercises" / EXERCISE / "starter" / "counter.py").read_text()
LATENCY_REPORT = REPO / "artifacts" / "browser-latency.json"


def open_lesson(page: Page, academy: Academy) -> float:
    """Open lesson 1 and wait for the learner's kernel; returns seconds until it was ready."""
    started = time.perf_counter()
    page.goto(f"{academy.url}/lessons/{LESSON}")
    expect(page.locator("#kernel-status")).to_have_attribute("data-state", "idle", timeout=60_000)
    return time.perf_counter() - started


def plain_cell(page: Page, index: int = 1) -> Locator:
    return page.locator(".cell[data-runnable]:not(.exercise)").nth(index)


def run(cell: Locator, code: str, *, keys: str = "Control+Enter") -> None:
    editor = cell.locator("textarea.code")
    editor.fill(code)
    editor.press(keys)
    expect(cell.locator(".timing")).to_contain_text(re.compile(r"^(ok|error|aborted)"))


def exercise_cell(page: Page) -> Locator:
    return page.locator(f"#{ANCHOR}")


def submit(cell: Locator, code: str) -> Locator:
    cell.locator("textarea.code").fill(code)
    cell.locator("[data-action=submit]").click()
    verdict = cell.locator(".feedback .verdict:has-text('Submission')")
    expect(verdict).to_be_visible(timeout=60_000)
    return verdict


def test_learner_runs_cells_and_sees_streamed_rich_and_error_output_within_a_second(
    academy: Academy, context: BrowserContext
) -> None:
    page = context.new_page()
    sign_in(page, academy, "alice")
    expect(page.locator("ol.sections li").first).to_contain_text("GenServer")
    screenshot(page, "course-map", full_page=True)

    kernel_ready = open_lesson(page, academy)
    screenshot(page, "lesson")

    cell = plain_cell(page)
    editor = cell.locator("textarea.code")
    editor.fill('print("hello from the kernel")\nsecret = "alice-42"\n6 * 7')
    started = time.perf_counter()
    editor.press("Control+Enter")
    expect(cell.locator(".outputs .out-stdout")).to_have_text("hello from the kernel\n")
    expect(cell.locator(".outputs .out-result")).to_have_text("42")
    first_output = time.perf_counter() - started
    expect(cell.locator(".timing")).to_contain_text(re.compile(r"^ok · \d+ ms$"))
    expect(cell.locator(".count")).not_to_have_text("[ ]")
    assert first_output < 1.0, f"first cell output took {first_output:.3f} s after kernel ready"

    run(
        cell,
        "from IPython.display import HTML, display\nprint('streamed first')\n"
        "display(HTML('<b id=\"rich\">rich output</b> in a sandboxed frame'))\nsum(range(10))",
    )
    frame = cell.locator("iframe.out-html")
    expect(frame).to_have_attribute("sandbox", "allow-same-origin")
    expect(page.frame_locator(f"#{cell.get_attribute('id')} iframe.out-html").locator("#rich")
           ).to_have_text("rich output")

    cell.evaluate("element => element.scrollIntoView({block: 'center'})")
    screenshot(page, "lesson-live-cells")

    run(cell, "1 / 0")
    expect(cell.locator(".out-error")).to_contain_text("ZeroDivisionError")
    expect(cell.locator(".timing")).to_have_class(re.compile("error"))

    # Editing Python: Enter keeps the indentation (one level more after a colon), Tab
    # indents, Shift+Tab dedents; Escape then Tab leaves the editor for the Run button.
    editor.fill("")
    editor.press_sequentially("def f():\nreturn 1")
    editor.press("Enter")
    editor.press("Shift+Tab")
    editor.press_sequentially("x = f()")
    expect(editor).to_have_value("def f():\n    return 1\nx = f()")
    editor.press("Escape")
    editor.press("Tab")
    expect(cell.locator("[data-action=run]")).to_be_focused()

    # Shift+Enter runs the cell and moves the caret to the next one.
    run(cell, "print('and on')", keys="Shift+Enter")
    next_editor = plain_cell(page, 2).locator("textarea.code")
    expect(next_editor).to_be_focused()

    LATENCY_REPORT.parent.mkdir(exist_ok=True)
    LATENCY_REPORT.write_text(json.dumps(
        {"kernel_ready_s": round(kernel_ready, 3), "first_cell_output_s": round(first_output, 3)}
    ))
    print(f"kernel ready after {kernel_ready:.3f} s; first cell output {first_output:.3f} s")


def test_interrupt_restart_and_run_all_keep_the_lesson_setup_preloaded(
    academy: Academy, context: BrowserContext
) -> None:
    page = context.new_page()
    sign_in(page, academy, "carol")
    open_lesson(page, academy)
    cell = plain_cell(page)

    cell.locator("textarea.code").fill(
        "import time\nleftover = 1\nprint('sleeping', flush=True)\ntime.sleep(60)"
    )
    cell.locator("[data-action=run]").click()
    expect(page.locator("#kernel-status")).to_have_attribute("data-state", "busy")
    expect(cell.locator(".out-stdout")).to_have_text("sleeping\n")
    page.click("#kernel-interrupt")
    expect(cell.locator(".out-error")).to_contain_text("KeyboardInterrupt", timeout=10_000)

    page.click("#kernel-restart")
    expect(page.locator("#kernel-status")).to_have_attribute("data-state", "idle", timeout=30_000)
    run(cell, "print(otp.__name__, 'leftover' in globals())")
    # A fresh namespace, with the lesson's setup (imports, the extension) already in it.
    expect(cell.locator(".out-stdout")).to_have_text("otp False\n")

    page.click("#kernel-run-all")
    first, second = plain_cell(page, 0), plain_cell(page, 1)
    expect(first.locator(".count")).to_have_text("[1]", timeout=30_000)
    expect(second.locator(".count")).to_have_text("[2]", timeout=30_000)


def test_learner_submits_wrongly_then_rightly_and_sees_score_and_progress_update_live(
    academy: Academy, context: BrowserContext
) -> None:
    page = context.new_page()
    sign_in(page, academy, "alice")
    open_lesson(page, academy)
    cell = exercise_cell(page)
    progress = page.locator("#progress-01-genserver [data-progress-text]")
    expect(progress).to_contain_text(re.compile(r"^0/\d+ solved"))

    # Visible tests on the starter: results inline, the first failure opened with a diff.
    cell.locator("textarea.code").fill(STARTER)
    cell.locator("textarea.code").press("Control+Shift+Enter")  # Run tests from the keyboard
    verdict = cell.locator(".feedback .verdict:has-text('Visible tests')")
    expect(verdict).to_be_visible(timeout=60_000)
    expect(verdict.locator("details[open]")).to_have_count(1)
    expect(verdict.locator("details[open] .diff")).to_contain_text("expected")

    hints = cell.locator(".hints li")
    cell.locator("[data-action=hint]").click()
    expect(hints.nth(0)).to_be_visible()
    expect(hints.nth(1)).to_be_hidden()

    wrong = submit(cell, STARTER)
    expect(wrong.locator(".badge")).to_have_text("fail")
    wrong_score = wrong.get_attribute("data-score")
    expect(progress).to_contain_text(re.compile(rf"^0/\d+ solved · {wrong_score}/"))
    wrong.scroll_into_view_if_needed()
    screenshot(page, "exercise-feedback-failing")

    right = submit(cell, SOLUTION)
    expect(right.locator(".badge")).to_have_text("pass")
    expect(right.locator(".score")).to_have_class(re.compile("full"))
    expect(progress).to_contain_text(re.compile(r"^1/\d+ solved"))
    right.scroll_into_view_if_needed()
    screenshot(page, "exercise-feedback-passing")

    # Reset brings the starter back; a revisit restores the last submission instead.
    page.once("dialog", lambda dialog: dialog.accept())
    cell.locator("[data-action=reset]").click()
    expect(cell.locator("textarea.code")).to_have_value(STARTER)
    page.reload()
    expect(exercise_cell(page).locator("textarea.code")).to_have_value(SOLUTION)
    expect(exercise_cell(page).locator(".feedback .badge")).to_have_text("pass")

    page.goto(f"{academy.url}/progress")
    solved_row = page.locator(f"tr:has(a[href$='/exercises/{EXERCISE}'])")
    expect(solved_row.locator("td.solved")).to_have_count(1)
    screenshot(page, "my-progress", full_page=True)

    page.goto(f"{academy.url}/exercises/{EXERCISE}")
    expect(page.locator("#kernel-status")).to_have_attribute("data-state", "idle", timeout=60_000)
    expect(page.locator("textarea.code")).to_have_value(SOLUTION)
    screenshot(page, "exercise-page")


def test_instructor_sees_the_class_on_the_dashboard_and_exports_grades_as_csv(
    academy: Academy, browser_context_pair: tuple[BrowserContext, BrowserContext]
) -> None:
    learner_ctx, teacher_ctx = browser_context_pair
    teacher = teacher_ctx.new_page()
    sign_in(teacher, academy, "teacher")
    teacher.click("nav >> text=Instructor")
    matrix = teacher.locator("table.matrix").first
    expect(matrix).to_contain_text("carol")

    learner = learner_ctx.new_page()
    sign_in(learner, academy, "carol")
    learner.goto(f"{academy.url}/exercises/{EXERCISE}")
    submit(exercise_cell(learner), SOLUTION)

    # The open dashboard updates itself when the submission is graded: no reload.
    expect(matrix.locator("tr:has-text('carol') td.solved")).to_have_count(1, timeout=15_000)
    expect(teacher.locator(".chart svg rect.bar")).not_to_have_count(0)
    screenshot(teacher, "instructor-dashboard", full_page=True)

    with teacher.expect_download() as download_info:
        teacher.click("text=Export grades (CSV)")
    rows = list(csv.DictReader(io.StringIO(download_info.value.path().read_text())))
    carol = next(row for row in rows if row["username"] == "carol")
    assert float(carol[EXERCISE]) == float(carol["total"]) > 0


def test_a_second_learner_cannot_see_the_first_learners_work_kernel_or_pages(
    academy: Academy, browser_context_pair: tuple[BrowserContext, BrowserContext]
) -> None:
    alice_ctx, bob_ctx = browser_context_pair
    alice = alice_ctx.new_page()
    sign_in(alice, academy, "alice")
    open_lesson(alice, academy)
    run(plain_cell(alice), 'private = "only-alice"')
    verdict = submit(exercise_cell(alice), "# alice's private attempt\n" + SOLUTION)
    submission_id = re.search(r"#(\d+)", verdict.inner_text()).group(1)  # type: ignore[union-attr]

    bob = bob_ctx.new_page()
    sign_in(bob, academy, "bob")
    ready = open_lesson(bob, academy)
    print(f"kernel ready after {ready:.3f} s for a learner arriving at a running server")
    expect(exercise_cell(bob).locator("textarea.code")).not_to_have_value(
        re.compile("alice's private attempt")
    )
    run(plain_cell(bob), "private")
    expect(plain_cell(bob).locator(".out-error")).to_contain_text("NameError")

    feedback = bob.goto(f"{academy.url}/submissions/{submission_id}/feedback")
    assert feedback is not None and feedback.status == 404
    api = bob.goto(f"{academy.url}/api/submissions/{submission_id}")
    assert api is not None and api.status == 404
    dashboard = bob.goto(f"{academy.url}/instructor")
    assert dashboard is not None and dashboard.status == 403
    csv_export = bob.goto(f"{academy.url}/instructor/grades.csv")
    assert csv_export is not None and csv_export.status == 403

    # Without the session cookie nothing is served, and the kernel socket refuses foreign pages.
    anonymous = httpx.get(f"{academy.url}/api/submissions/{submission_id}")
    assert anonymous.status_code == 401


def test_pages_offer_dark_mode_high_contrast_keyboard_use_and_a_narrow_layout(
    academy: Academy, browser: Browser
) -> None:
    dark = browser.new_context(viewport={"width": 1200, "height": 900}, color_scheme="dark")
    page = dark.new_page()
    page.goto(f"{academy.url}/signin")
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    screenshot(page, "sign-in-dark")
    # Keyboard only: the username field has focus, Tab reaches the password, Enter submits;
    # on every page the first Tab lands on "Skip to content".
    expect(page.locator("#username")).to_be_focused()
    page.keyboard.type("alice")
    page.keyboard.press("Tab")
    page.keyboard.type("browser-tests-password")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{academy.url}/")
    page.keyboard.press("Tab")
    expect(page.locator(".skip-link")).to_be_focused()
    open_lesson(page, academy)
    screenshot(page, "lesson-dark")
    page.click("#contrast-toggle")
    expect(page.locator("html")).to_have_attribute("data-contrast", "high")
    screenshot(page, "lesson-dark-high-contrast")
    page.click("#theme-toggle")  # auto -> dark -> light: the choice is stored
    page.click("#theme-toggle")
    expect(page.locator("html")).to_have_attribute("data-theme", "light")
    page.reload()
    expect(page.locator("html")).to_have_attribute("data-theme", "light")
    dark.close()

    phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = phone.new_page()
    sign_in(page, academy, "alice")
    open_lesson(page, academy)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the lesson scrolls sideways on a phone ({width}px wide)"
    screenshot(page, "lesson-phone")
    phone.close()


@pytest.fixture
def browser_context_pair(browser: Browser) -> Iterator[tuple[BrowserContext, BrowserContext]]:
    """Two separate browser profiles: two people at two computers."""
    first = browser.new_context(viewport={"width": 1200, "height": 900}, accept_downloads=True)
    second = browser.new_context(viewport={"width": 1200, "height": 900}, accept_downloads=True)
    errors = []
    for ctx in (first, second):
        ctx.set_default_timeout(30_000)
        errors.append(watch_for_script_errors(ctx))
    yield first, second
    first.close()
    second.close()
    assert errors == [[], []], f"uncaught script errors: {errors}"
