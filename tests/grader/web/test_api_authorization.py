"""The authorization matrix: who may see which submission, progress and course view.

Learners see only their own work; instructors see the learners of the course they teach (not
another course's); admins see everything. "Not yours" is a 404, so ids do not leak existence.
"""

# The fixtures are imported from grader.service.testing, so test arguments redefine them.
# ruff: noqa: F811

from __future__ import annotations

import csv
import io

import pytest
from fastapi.testclient import TestClient

from grader.service.testing import (  # noqa: F401
    COURSE_ID,
    EXERCISE_ID,
    World,
    client,
    database_url,
    grade_pending,
    postgres_url,
    settings,
    sqlite_template,
    world,
)

# who -> may they see alice's things?
VIEWERS = [
    ("alice", True),
    ("bob", False),
    ("teacher", True),
    ("outsider_teacher", False),
    ("admin", True),
]
COURSE_VIEWERS = [
    ("alice", 403),
    ("bob", 403),
    ("teacher", 200),
    ("outsider_teacher", 403),
    ("admin", 200),
]


@pytest.fixture
def alices_submission(client: TestClient, world: World, settings) -> int:
    response = client.post(
        "/api/submissions",
        json={"exercise_id": EXERCISE_ID, "files": {"counter.py": "# stub-score: 0.5\n"}},
        headers=world.alice.headers,
    )
    grade_pending(settings)
    return response.json()["id"]


@pytest.mark.parametrize("who, allowed", VIEWERS)
def test_a_submission_is_visible_to_its_owner_their_instructor_and_admins(
    client, world, alices_submission, who, allowed
) -> None:
    headers = getattr(world, who).headers
    response = client.get(f"/api/submissions/{alices_submission}", headers=headers)
    assert response.status_code == (200 if allowed else 404)
    events = client.get(f"/api/submissions/{alices_submission}/events", headers=headers)
    assert events.status_code == (200 if allowed else 404)
    listing = client.get(f"/api/submissions?user_id={world.alice.id}", headers=headers)
    assert listing.status_code == (200 if allowed else 404)
    if allowed:
        assert [s["id"] for s in listing.json()] == [alices_submission]


@pytest.mark.parametrize("who, allowed", VIEWERS)
def test_progress_is_visible_to_the_learner_their_instructor_and_admins(
    client, world, alices_submission, who, allowed
) -> None:
    response = client.get(
        f"/api/users/{world.alice.id}/progress", headers=getattr(world, who).headers
    )
    assert response.status_code == (200 if allowed else 404)
    if allowed:
        assert response.json()["user"]["username"] == "alice"


def test_my_submissions_list_holds_only_mine(client, world, alices_submission) -> None:
    assert client.get("/api/submissions", headers=world.bob.headers).json() == []
    mine = client.get("/api/submissions", headers=world.alice.headers).json()
    assert [s["id"] for s in mine] == [alices_submission]


@pytest.mark.parametrize("who, status", COURSE_VIEWERS)
@pytest.mark.parametrize("view", ["progress", "stats", "grades.csv"])
def test_course_views_are_for_that_courses_instructors_and_admins(
    client, world, alices_submission, who, status, view
) -> None:
    response = client.get(f"/api/courses/{COURSE_ID}/{view}", headers=getattr(world, who).headers)
    assert response.status_code == status
    if status == 403:
        assert response.json()["error"]["code"] == "forbidden"


def test_the_class_matrix_and_csv_hold_every_learner_of_the_course(
    client, world, alices_submission
) -> None:
    matrix = client.get(f"/api/courses/{COURSE_ID}/progress", headers=world.teacher.headers).json()
    rows = {row["user"]["username"]: row["cells"] for row in matrix["learners"]}
    assert set(rows) == {"alice", "bob"}
    assert rows["alice"][EXERCISE_ID] == {
        "best_score": 0.5,
        "max_score": 1.0,
        "attempts": 1,
        "solved": False,
    }
    assert rows["bob"][EXERCISE_ID] is None
    text = client.get(f"/api/courses/{COURSE_ID}/grades.csv", headers=world.teacher.headers).text
    table = list(csv.DictReader(io.StringIO(text)))
    assert [(r["username"], r[EXERCISE_ID], r["total"]) for r in table] == [
        ("alice", "0.5", "0.5"),
        ("bob", "0", "0"),
    ]


def test_exercise_stats_name_the_most_common_failing_test(client, world, alices_submission):
    stats = client.get(f"/api/courses/{COURSE_ID}/stats", headers=world.teacher.headers).json()
    counter = next(s for s in stats if s["exercise_id"] == EXERCISE_ID)
    assert counter["attempted"] == 1 and counter["solved"] == 0 and counter["submissions"] == 1
    assert counter["most_common_failure"] == "stub"


def test_an_unknown_course_is_a_404(client, world) -> None:
    response = client.get("/api/courses/nope/progress", headers=world.admin.headers)
    assert response.status_code == 404


def test_a_revoked_token_stops_working_at_once(client, world) -> None:
    tokens = client.get("/api/auth/tokens", headers=world.alice.headers).json()
    assert (
        client.delete(
            f"/api/auth/tokens/{tokens[0]['id']}", headers=world.alice.headers
        ).status_code
        == 204
    )
    response = client.get("/api/me", headers=world.alice.headers)
    assert response.status_code == 401
    assert "revoked" in response.json()["error"]["message"]


def test_a_learner_cannot_revoke_someone_elses_token_but_an_admin_can(client, world) -> None:
    alices = client.get("/api/auth/tokens", headers=world.alice.headers).json()[0]["id"]
    assert client.delete(f"/api/auth/tokens/{alices}", headers=world.bob.headers).status_code == 404
    assert client.get("/api/me", headers=world.alice.headers).status_code == 200
    assert (
        client.delete(f"/api/auth/tokens/{alices}", headers=world.admin.headers).status_code == 204
    )
    assert client.get("/api/me", headers=world.alice.headers).status_code == 401


def test_only_admins_create_users(client, world) -> None:
    body = {"username": "carol", "password": "long enough pw", "role": "learner"}
    assert client.post("/api/users", json=body, headers=world.teacher.headers).status_code == 403
    created = client.post("/api/users", json=body, headers=world.admin.headers)
    assert created.status_code == 201
    again = client.post("/api/users", json=body, headers=world.admin.headers)
    assert again.status_code == 409
    matrix = client.get(f"/api/courses/{COURSE_ID}/progress", headers=world.teacher.headers)
    assert "carol" in {row["user"]["username"] for row in matrix.json()["learners"]}


def test_a_forged_token_is_refused(client) -> None:
    response = client.get("/api/me", headers={"Authorization": "Bearer acad_forged"})
    assert response.status_code == 401
