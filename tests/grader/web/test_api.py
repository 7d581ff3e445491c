"""The JSON API: login, catalog, submissions (JSON and uploads), SSE, progress, errors."""

# The fixtures are imported from grader.service.testing (shared with tests/grader/service),
# so test arguments "redefine" those names by design.
# ruff: noqa: F811

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from fastapi.testclient import TestClient

from grader.service.testing import (  # noqa: F401
    EXERCISE_ID,
    PASSWORD,
    World,
    client,
    database_url,
    grade_pending,
    postgres_url,
    settings,
    sqlite_template,
    world,
)


def _submit(client: TestClient, who, code: str = "# stub-score: 1.0\n", exercise=EXERCISE_ID):
    return client.post(
        "/api/submissions",
        json={"exercise_id": exercise, "files": {"counter.py": code}},
        headers=who.headers,
    )


def test_login_returns_a_token_that_authenticates(client: TestClient, world: World) -> None:
    response = client.post("/api/auth/token", json={"username": "alice", "password": PASSWORD})
    assert response.status_code == 201
    token = response.json()["token"]
    me = client.get("/api/me", headers={"Authorization": f"Bearer {token}"})
    assert me.json()["username"] == "alice" and me.json()["role"] == "learner"


def test_a_wrong_password_is_a_401_with_a_json_error(client: TestClient, world: World) -> None:
    response = client.post("/api/auth/token", json={"username": "alice", "password": "nope"})
    assert response.status_code == 401
    assert response.json() == {
        "error": {"code": "unauthenticated", "message": "wrong username or password"}
    }


def test_missing_credentials_are_a_401_that_says_how_to_authenticate(client: TestClient) -> None:
    response = client.get("/api/exercises")
    assert response.status_code == 401
    assert "Bearer" in response.json()["error"]["message"]


def test_exercises_show_prompt_starter_and_visible_tests_only(client, world) -> None:
    listing = client.get("/api/exercises", headers=world.alice.headers).json()
    assert [e["id"] for e in listing] == [EXERCISE_ID, "01-genserver/stack"]
    detail = client.get(f"/api/exercises/{EXERCISE_ID}", headers=world.alice.headers).json()
    assert set(detail) >= {"prompt", "starter", "visible_tests", "hints"}
    assert "hidden" not in json.dumps(detail)
    sections = client.get("/api/sections", headers=world.alice.headers).json()
    assert sections[0]["id"] == "01-genserver" and len(sections[0]["exercises"]) == 2


def test_an_unknown_exercise_is_a_404_naming_it(client, world) -> None:
    response = client.get("/api/exercises/nope/nothing", headers=world.alice.headers)
    assert response.status_code == 404
    response = _submit(client, world.alice, exercise="nope/nothing")
    assert response.status_code == 404
    assert "nope/nothing" in response.json()["error"]["message"]


def test_a_submission_is_accepted_then_graded_with_phases(client, world, settings) -> None:
    accepted = _submit(client, world.alice, "# stub-score: 0.5\n")
    assert accepted.status_code == 202
    body = accepted.json()
    assert body["status"] == "queued" and body["url"] == f"/api/submissions/{body['id']}"
    queued = client.get(body["url"], headers=world.alice.headers).json()
    assert queued["status"] == "queued" and queued["result"] is None
    grade_pending(settings)
    graded = client.get(body["url"], headers=world.alice.headers).json()
    assert graded["status"] == "graded"
    assert graded["score"] == 0.5 and graded["result"]["status"] == "fail"
    phases = graded["phases"]
    assert phases["submitted"] <= phases["queued"] <= phases["started"] <= phases["finished"]
    assert graded["attempts"] == 1


def test_the_event_stream_reports_each_status_until_graded(client, world, settings) -> None:
    submission_id = _submit(client, world.alice).json()["id"]
    grade_pending(settings)
    with client.stream(
        "GET", f"/api/submissions/{submission_id}/events", headers=world.alice.headers
    ) as stream:
        assert stream.headers["content-type"].startswith("text/event-stream")
        text = "".join(stream.iter_text())
    events = [block for block in text.split("\n\n") if block.startswith("event:")]
    assert events[0].startswith("event: status")
    assert json.loads(events[0].split("data: ", 1)[1])["status"] == "graded"
    assert events[-1].startswith("event: end")


def test_my_progress_shows_best_score_and_attempts(client, world, settings) -> None:
    _submit(client, world.alice, "# stub-score: 0.25\n")
    _submit(client, world.alice, "# stub-score: 1\n")
    grade_pending(settings)
    progress = client.get("/api/progress/me", headers=world.alice.headers).json()
    counter = next(e for e in progress["exercises"] if e["exercise_id"] == EXERCISE_ID)
    assert counter["best_score"] == 1.0 and counter["attempts"] == 2 and counter["solved"]
    assert progress["solved"] == 1 and progress["total"] == 2


def test_a_py_upload_becomes_the_exercises_file(client, world, settings) -> None:
    response = client.post(
        "/api/submissions/upload",
        data={"exercise_id": EXERCISE_ID},
        files={"file": ("whatever.py", b"# stub-score: 1\n", "text/x-python")},
        headers=world.alice.headers,
    )
    assert response.status_code == 202
    detail = client.get(response.json()["url"], headers=world.alice.headers).json()
    assert detail["files"] == {"counter.py": "# stub-score: 1\n"} and detail["source"] == "upload"


@pytest.mark.parametrize(
    "name, content, status, code",
    [
        ("broken.ipynb", b"{not json", 422, "invalid_submission"),
        (
            "old.ipynb",
            json.dumps({"cells": "nope", "nbformat": 4}).encode(),
            422,
            "invalid_submission",
        ),
        ("binary.py", b"\xff\xfe\x00", 422, "invalid_submission"),
        ("notes.txt", b"hello", 422, "invalid_submission"),
        ("huge.py", b"#" * 300_000, 413, "submission_too_large"),
    ],
)
def test_bad_uploads_are_refused_with_a_clear_json_error(
    client, world, name, content, status, code
) -> None:
    response = client.post(
        "/api/submissions/upload",
        data={"exercise_id": EXERCISE_ID},
        files={"file": (name, content)},
        headers=world.alice.headers,
    )
    assert response.status_code == status
    assert response.json()["error"]["code"] == code
    assert response.json()["error"]["message"]


def test_a_notebook_that_is_not_valid_nbformat_says_so(client, world) -> None:
    notebook = nbformat.v4.new_notebook()
    notebook.cells.append(nbformat.v4.new_code_cell("x = 1"))
    raw = json.loads(nbformat.writes(notebook))
    raw["cells"][0]["cell_type"] = "spreadsheet"
    response = client.post(
        "/api/submissions/upload",
        data={"exercise_id": EXERCISE_ID},
        files={"file": ("bad.ipynb", json.dumps(raw).encode())},
        headers=world.alice.headers,
    )
    assert response.status_code == 422
    assert "not a valid nbformat notebook" in response.json()["error"]["message"]


def test_malformed_json_bodies_are_422_with_the_field_named(client, world) -> None:
    response = client.post(
        "/api/submissions", json={"files": {"a.py": "x"}}, headers=world.alice.headers
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_request"
    assert "exercise_id" in response.json()["error"]["message"]


def test_an_oversized_request_body_is_refused_before_parsing(client, world) -> None:
    big = "x" * (5 * 256 * 1024)
    response = _submit(client, world.alice, big)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "request_too_large"


def test_hitting_the_rate_limit_is_a_429_with_retry_after(settings, world) -> None:
    from grader.web.app import create_app

    with TestClient(create_app(settings.with_changes(submit_rate=1), pages=False)) as limited:
        assert _submit(limited, world.alice).status_code == 202
        response = _submit(limited, world.alice)
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "rate_limited"
    assert int(response.headers["retry-after"]) >= 1


def test_healthz_reports_database_and_queue(client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["ok"] and set(body["checks"]) >= {"database", "queue"}


def test_healthz_is_503_when_a_registered_check_fails(client) -> None:
    from grader.service.runtime import HealthStatus

    async def kernels_down() -> HealthStatus:
        return HealthStatus(False, "jupyter_server not answering")

    client.app.state.services.health_checks["kernels"] = kernels_down
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["kernels"] == {
        "ok": False,
        "detail": "jupyter_server not answering",
    }


def test_metrics_expose_status_counts_latency_and_queue_depth(client, world, settings) -> None:
    _submit(client, world.alice)
    _submit(client, world.bob)
    grade_pending(settings)
    _submit(client, world.bob)
    text = client.get("/metrics").text
    assert 'academy_submissions{status="graded"} 2.0' in text
    assert 'academy_submissions{status="queued"} 1.0' in text
    assert "academy_queue_depth 1.0" in text
    assert "academy_submit_to_result_seconds_count 2.0" in text
    assert 'academy_grading_seconds_bucket{le="+Inf"} 2.0' in text


def test_the_openapi_schema_documents_every_endpoint_and_the_bearer_scheme(client) -> None:
    schema = client.get("/openapi.json").json()
    assert schema["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    assert schema["paths"]["/api/submissions"]["post"]["security"] == [{"HTTPBearer": []}]
    assert "security" not in schema["paths"]["/api/auth/token"]["post"]
    paths = schema["paths"]
    for path in (
        "/api/auth/token",
        "/api/submissions",
        "/api/submissions/{submission_id}",
        "/api/submissions/{submission_id}/events",
        "/api/progress/me",
        "/api/courses/{course_id}/progress",
        "/api/courses/{course_id}/stats",
        "/api/courses/{course_id}/grades.csv",
        "/healthz",
        "/metrics",
    ):
        assert path in paths


def test_api_errors_stay_json_when_the_pages_are_mounted(settings, world) -> None:
    from grader.web.app import create_app

    with TestClient(create_app(settings, pages=True)) as full:
        missing = full.get("/api/exercises")
        assert missing.status_code == 401
        assert missing.headers["content-type"] == "application/json"
        unknown = full.get("/api/submissions/999", headers=world.alice.headers)
        assert unknown.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize(
    "path",
    [
        "/api/submissions/0",
        "/api/submissions/2147483648",
        "/api/users/99999999999999999999/progress",
    ],
)
def test_ids_out_of_range_are_a_422_not_a_database_error(client, world, path) -> None:
    response = client.get(path, headers=world.alice.headers)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_request"


REPO = Path(__file__).resolve().parents[3]


def _notebook(*cells) -> bytes:
    notebook = nbformat.v4.new_notebook()
    notebook.cells = list(cells)
    return nbformat.writes(notebook).encode()


def test_a_notebook_upload_becomes_the_exercise_cells_code(settings, world) -> None:
    from grader.web.app import create_app

    real = settings.with_changes(exercises_dir=REPO / "exercises")
    cell = nbformat.v4.new_code_cell("%load_ext something\nCOUNT = 1\n")
    cell.metadata["academy"] = {"exercise": EXERCISE_ID, "file": "counter.py"}
    body = _notebook(nbformat.v4.new_markdown_cell("# lesson"), cell)
    with TestClient(create_app(real, pages=False)) as api:
        response = api.post(
            "/api/submissions/upload",
            data={"exercise_id": EXERCISE_ID},
            files={"file": ("lesson.ipynb", body)},
            headers=world.alice.headers,
        )
        assert response.status_code == 202, response.text
        detail = api.get(response.json()["url"], headers=world.alice.headers).json()
    assert detail["files"] == {"counter.py": "COUNT = 1\n"}


def test_a_notebook_without_the_exercise_cell_says_which_metadata_is_missing(
    settings, world
) -> None:
    from grader.web.app import create_app

    real = settings.with_changes(exercises_dir=REPO / "exercises")
    body = _notebook(nbformat.v4.new_code_cell("x = 1"))
    with TestClient(create_app(real, pages=False)) as api:
        response = api.post(
            "/api/submissions/upload",
            data={"exercise_id": EXERCISE_ID},
            files={"file": ("lesson.ipynb", body)},
            headers=world.alice.headers,
        )
    assert response.status_code == 422
    assert "no code cell for exercise" in response.json()["error"]["message"]


@pytest.mark.postgres
def test_healthz_reports_a_procrastinate_queue_without_live_workers(postgres_url, tmp_path):
    from sqlalchemy import text

    from grader.service.database import make_engine
    from grader.service.settings import QueueMode, Settings
    from grader.service.testing import truncate_all
    from grader.web.app import create_app

    truncate_all(postgres_url)
    deployed = Settings(
        data_dir=tmp_path,
        database_url=postgres_url,
        queue=QueueMode.PROCRASTINATE,
        secret_key="x",
    )
    with TestClient(create_app(deployed, pages=False)) as api:
        down = api.get("/healthz")
        engine = make_engine(postgres_url)
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO procrastinate_workers DEFAULT VALUES"))
        engine.dispose()
        up = api.get("/healthz")
    assert down.status_code == 503 and "no worker" in down.json()["checks"]["queue"]["detail"]
    assert up.status_code == 200 and up.json()["checks"]["queue"]["detail"].endswith("1 workers")


def test_text_the_databases_cannot_store_is_a_422_not_a_server_error(client, world) -> None:
    """Found by schemathesis: PostgreSQL refuses NUL, neither database takes lone surrogates."""
    user = client.post(
        "/api/users",
        content=b'{"username": "eve", "password": "long enough", "display_name": "a\\u0000b"}',
        headers={**world.admin.headers, "content-type": "application/json"},
    )
    assert user.status_code == 422 and "NUL" in user.json()["error"]["message"]
    surrogate = client.post(
        "/api/submissions",
        content=b'{"exercise_id": "01-genserver/counter", "files": {"counter.py": "\\ud800"}}',
        headers={**world.alice.headers, "content-type": "application/json"},
    )
    assert surrogate.status_code == 422
    assert client.get("/api/exercises/a%00b", headers=world.alice.headers).status_code == 422
