"""Mirror ``content/course.toml`` and ``exercises/`` into rows the service can query and join.

Only what a learner may see is copied (title, prompt, starter, hints, visible tests); the
hidden tests and reference solutions stay on disk with the engine. Exercises that disappeared
from disk are deactivated, not deleted: old submissions still point at them.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from sqlmodel import Session, select

from grader.service.models import Course, Exercise, Section

DEFAULT_COURSE_ID = "otp-academy"


@dataclass(frozen=True)
class SyncReport:
    sections: int
    exercises: int
    deactivated: int


def _read_course(content_dir: Path) -> tuple[str, str, list[dict]]:
    path = content_dir / "course.toml"
    if not path.is_file():
        return DEFAULT_COURSE_ID, "OTP Academy", []
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    course = data.get("course", {})
    return (
        str(course.get("slug", DEFAULT_COURSE_ID)),
        str(course.get("title", "OTP Academy")),
        list(data.get("sections", [])),
    )


def sync_catalog(session: Session, content_dir: Path, exercises_dir: Path) -> SyncReport:
    from grader.engine import Catalog

    course_id, course_title, sections = _read_course(content_dir)
    course = session.get(Course, course_id) or Course(id=course_id, title=course_title)
    course.title = course_title
    session.add(course)

    known_sections: set[str] = set()
    for position, entry in enumerate(sections):
        slug = str(entry["slug"])
        notebook = content_dir / f"{slug}.ipynb"
        _upsert_section(
            session,
            Section(
                id=slug,
                course_id=course_id,
                position=position,
                title=str(entry.get("title", slug)),
                summary=str(entry.get("summary", "")),
                notebook=notebook.name if notebook.is_file() else None,
                available=entry.get("status", "available") == "available",
            ),
        )
        known_sections.add(slug)

    catalog = Catalog.load(exercises_dir) if exercises_dir.is_dir() else []
    seen: set[str] = set()
    positions: dict[str, int] = {}
    for exercise in catalog:
        section_id = exercise.id.split("/", 1)[0]
        if section_id not in known_sections:
            _upsert_section(
                session,
                Section(
                    id=section_id,
                    course_id=course_id,
                    position=len(known_sections),
                    title=section_id,
                ),
            )
            known_sections.add(section_id)
        position = positions.get(section_id, 0)
        positions[section_id] = position + 1
        row = session.get(Exercise, exercise.id) or Exercise(
            id=exercise.id, section_id=section_id, title=exercise.title
        )
        row.section_id = section_id
        row.position = position
        row.title = exercise.title
        row.difficulty = exercise.difficulty
        row.prompt = exercise.prompt
        row.starter = dict(exercise.starter)
        row.visible_tests = {t.relative: t.source for t in exercise.test_files if not t.hidden}
        row.hints = list(exercise.hints)
        row.max_score = float(exercise.max_score)
        row.active = True
        session.add(row)
        seen.add(exercise.id)

    deactivated = 0
    for row in session.exec(select(Exercise).where(Exercise.active == True)):  # noqa: E712
        if row.id not in seen:
            row.active = False
            session.add(row)
            deactivated += 1
    session.flush()
    return SyncReport(sections=len(known_sections), exercises=len(seen), deactivated=deactivated)


def _upsert_section(session: Session, section: Section) -> None:
    existing = session.get(Section, section.id)
    if existing is None:
        session.add(section)
        return
    for field in ("course_id", "position", "title", "summary", "notebook", "available"):
        setattr(existing, field, getattr(section, field))
    session.add(existing)


def default_course_id(session: Session) -> str:
    """The course new accounts join: the one from course.toml, else the first there is."""
    if session.get(Course, DEFAULT_COURSE_ID) is not None:
        return DEFAULT_COURSE_ID
    course = session.exec(select(Course).order_by(Course.id)).first()
    return course.id if course else DEFAULT_COURSE_ID
