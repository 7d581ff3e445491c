"""Catalog rows mirror content/ and exercises/ and never hold hidden tests or solutions."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlmodel import select

from grader.engine import Catalog
from grader.service.catalog import sync_catalog
from grader.service.database import make_engine, session_scope
from grader.service.models import Exercise, Section
from grader.service.settings import Settings

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return Catalog.load(REPO / "exercises")


def _sync(settings: Settings, exercises: Path):
    engine = make_engine(settings.resolved_database_url)
    try:
        with session_scope(engine) as session:
            report = sync_catalog(session, REPO / "content", exercises)
        with session_scope(engine, write=False) as session:
            return report, list(session.exec(select(Section))), list(session.exec(select(Exercise)))
    finally:
        engine.dispose()


def test_every_exercise_and_section_is_copied_in_course_order(settings, catalog) -> None:
    report, sections, exercises = _sync(settings, REPO / "exercises")
    assert report.exercises == len(catalog) == len(exercises)
    ordered = [s.id for s in sorted(sections, key=lambda s: s.position)]
    assert ordered[0] == "01-genserver"
    assert {e.section_id for e in exercises} <= set(ordered)
    coming = [s for s in sections if not s.available]
    assert coming, "course.toml marks later sections as coming"


def test_no_row_holds_hidden_tests_or_reference_solutions(settings, catalog) -> None:
    _, _, rows = _sync(settings, REPO / "exercises")
    texts = {row.id: repr((row.prompt, row.starter, row.visible_tests, row.hints)) for row in rows}
    for exercise in catalog:
        for test in exercise.test_files:
            body = test.source.strip()
            if test.hidden:
                assert body not in texts[exercise.id], f"{exercise.id} leaks {test.relative}"
                assert test.relative not in texts[exercise.id]
            else:
                assert test.relative in texts[exercise.id]
        for name, source in exercise.solution.items():
            if source.strip() != exercise.starter.get(name, "").strip():
                assert source.strip() not in texts[exercise.id], f"{exercise.id} leaks {name}"


def test_an_exercise_removed_from_disk_is_deactivated_not_deleted(
    settings, catalog, tmp_path: Path
) -> None:
    copy = tmp_path / "exercises"
    shutil.copytree(REPO / "exercises", copy)
    _sync(settings, copy)
    gone = next(iter(catalog)).id
    shutil.rmtree(copy / gone)
    report, _, rows = _sync(settings, copy)
    assert report.deactivated == 1
    assert {row.id: row.active for row in rows}[gone] is False
