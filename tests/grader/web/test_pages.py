"""The HTML pages: what learners and instructors see, and what they must never see."""

from __future__ import annotations

import csv
import io
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest
from fastapi.testclient import TestClient
from pages_support import htmx_headers, sign_in

from grader.service.database import make_engine, session_scope
from grader.service.models import Exercise, Section
from grader.service.settings import Settings
from grader.service.testing import (  # noqa: F401
    EXERCISE_ID,
    World,
    database_url,
    grade_pending,
    postgres_url,
    settings,
    sqlite_template,
    world,
)
from grader.web.app import create_app
from grader.web.kernels.service import KernelService

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture
def site(settings: Settings, world: World) -> Iterator[TestClient]:  # noqa: F811
    """The app with a lesson notebook for section 01-genserver (markdown, code, exercise)."""
    settings.content_dir.mkdir(parents=True, exist_ok=True)
    notebook = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_markdown_cell("# Lesson 1\n\nA *GenServer* <script>alert(1)</script>"),
            nbformat.v4.new_code_cell("import otp"),
            nbformat.v4.new_code_cell("total = sum(range(10))\ntotal"),
            nbformat.v4.new_code_cell(
                f"%%exercise {EXERCISE_ID}\n# your code\n",
                metadata={"academy": {"exercise": EXERCISE_ID}},
            ),
            nbformat.v4.new_code_cell(f"%submit {EXERCISE_ID}"),
        ]
    )
    nbformat.write(notebook, settings.content_dir / "01-genserver.ipynb")
    engine = make_engine(settings.resolved_database_url)
    with session_scope(engine) as db:
        section = db.get(Section, "01-genserver")
        assert section is not None
        section.notebook = "01-genserver.ipynb"
        db.add(section)
        exercise = db.get(Exercise, EXERCISE_ID)
        assert exercise is not None
        exercise.hints = ["Use `max` <b>here</b>", "Then clamp."]
        db.add(exercise)
    engine.dispose()
    with TestClient(create_app(settings), base_url="http://testserver") as client:
        yield client


def _submit(client: TestClient, token: str, code: str) -> str:
    answer = client.post(
        f"/exercises/{EXERCISE_ID}/submit", data={"code": code}, headers=htmx_headers(token)
    )
    assert answer.status_code == 200, answer.text
    assert 'data-events-url="/api/submissions/' in answer.text
    return answer.text


def test_course_map_lists_sections_with_the_learners_progress(site: TestClient) -> None:
    sign_in(site, "alice")
    page = site.get("/")
    assert "GenServer" in page.text
    assert "0/2 solved" in page.text


def test_lesson_page_renders_markdown_safely_code_highlighted_and_exercises_in_place(
    site: TestClient,
) -> None:
    sign_in(site, "alice")
    page = site.get("/lessons/01-genserver").text
    assert "<h1>Lesson 1</h1>" in page and "<em>GenServer</em>" in page
    assert "<script>alert(1)</script>" not in page  # raw HTML in markdown is escaped
    assert 'data-kernel-url="/lessons/01-genserver/kernel"' in page
    assert '<span class="n">total</span>' in page  # Pygments spans
    assert 'id="ex-01-genserver--counter"' in page
    assert "%submit" not in page  # the Submit button replaces the notebook's %submit cell
    assert page.index('id="ex-01-genserver--counter"') < page.index("ex-01-genserver--stack")
    assert "<li hidden><p>Use <code>max</code> &lt;b&gt;here&lt;/b&gt;</p>" in page  # hints


def test_submitting_from_the_page_shows_live_status_then_feedback_and_updates_progress(
    site: TestClient, settings: Settings  # noqa: F811
) -> None:
    token = sign_in(site, "alice")
    _submit(site, token, "# stub-score: 0.5\n")
    grade_pending(settings)
    feedback = site.get("/submissions/1/feedback").text
    assert "Submission #1" in feedback and "0.5 / 1" in feedback
    _submit(site, token, "# stub-score: 1.0\nsolved = True\n")
    grade_pending(settings)
    assert "1/2 solved" in site.get("/sections/01-genserver/progress").text
    # A revisit restores the last submission in the editor, with its feedback.
    lesson = site.get("/lessons/01-genserver").text
    assert "solved = True" in lesson and "Submission #2" in lesson
    assert "your last submission" in lesson


def test_a_learner_cannot_open_another_learners_submission_or_the_instructor_pages(
    site: TestClient, settings: Settings  # noqa: F811
) -> None:
    token = sign_in(site, "alice")
    _submit(site, token, "# stub-score: 1.0\n# alice's secret approach\n")
    grade_pending(settings)
    site.cookies.clear()
    sign_in(site, "bob")
    assert site.get("/submissions/1/feedback").status_code == 404
    assert "alice's secret approach" not in site.get("/lessons/01-genserver").text
    assert "alice's secret approach" not in site.get(f"/exercises/{EXERCISE_ID}").text
    assert site.get("/instructor").status_code == 403
    assert site.get("/instructor/grades.csv").status_code == 403
    assert site.get("/instructor/events").status_code == 403


def test_an_instructor_sees_the_class_matrix_statistics_chart_and_exports_csv(
    site: TestClient, settings: Settings  # noqa: F811
) -> None:
    token = sign_in(site, "alice")
    _submit(site, token, "# stub-score: 1.0\n")
    grade_pending(settings)
    site.cookies.clear()
    sign_in(site, "teacher")
    page = site.get("/instructor").text
    assert "alice" in page and "bob" in page
    assert 'class="solved"' in page and "100%" in page
    assert "<svg" in page and 'class="bar"' in page
    export = site.get("/instructor/grades.csv")
    assert export.headers["content-type"].startswith("text/csv")
    rows = {row["username"]: row for row in csv.DictReader(io.StringIO(export.text))}
    assert float(rows["alice"][EXERCISE_ID]) == 1.0 and float(rows["bob"]["total"]) == 0.0


def test_an_instructor_of_another_course_cannot_see_this_class(site: TestClient) -> None:
    sign_in(site, "outsider")
    assert site.get("/instructor?course=otp-academy").status_code == 403
    assert site.get("/instructor?course=x%00y").status_code == 404
    assert site.get("/instructor/grades.csv?course=otp-academy").status_code == 403


def test_an_exercise_opened_alone_has_its_own_kernel_and_history(
    site: TestClient, settings: Settings  # noqa: F811
) -> None:
    token = sign_in(site, "alice")
    _submit(site, token, "# stub-score: 1.0\n")
    grade_pending(settings)
    page = site.get(f"/exercises/{EXERCISE_ID}").text
    assert f'data-kernel-url="/exercises/{EXERCISE_ID}/kernel"' in page
    assert "Your submissions" in page and "#1" in page
    assert site.get("/exercises/01-genserver/missing").status_code == 404
    assert site.get("/exercises/01-genserver/x%00y").status_code == 404
    assert site.get("/lessons/x%00y").status_code == 404


def test_pages_carry_a_content_security_policy_without_third_party_sources(
    site: TestClient,
) -> None:
    sign_in(site, "alice")
    policy = site.get("/").headers["content-security-policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "http" not in policy


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_run_tests_falls_back_to_the_grading_engine_when_no_kernel_can_start(
    site: TestClient, settings: Settings  # noqa: F811
) -> None:
    shutil.copytree(REPO / "exercises" / EXERCISE_ID, settings.exercises_dir / EXERCISE_ID)
    # A kernel server that refuses every connection: the page must still test the code.
    site.app.state.kernel_service = KernelService(settings.data_dir, kernels_url="http://127.0.0.1:9")
    token = sign_in(site, "alice")
    solution = (REPO / "exercises" / EXERCISE_ID / "solution" / "counter.py").read_text()
    answer = site.post(
        f"/exercises/{EXERCISE_ID}/check", data={"code": solution}, headers=htmx_headers(token)
    )
    assert answer.status_code == 200
    assert "Visible tests" in answer.text and 'data-status="pass"' in answer.text
    tests = REPO / "exercises" / EXERCISE_ID / "tests"
    for kind, shown in (("visible", True), ("hidden", False)):
        for name in re.findall(r"def (test_\w+)", _sources(tests / kind)):
            assert (name in answer.text) is shown, f"{kind} test {name}"


def _sources(folder: Path) -> str:
    return "".join(path.read_text() for path in sorted(folder.glob("test_*.py")))
