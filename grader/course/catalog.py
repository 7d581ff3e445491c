"""The course catalog: ``content/course.toml`` read into typed sections.

The file is the single source of the lessons' order and titles; the service, the build and the
validator all read it through :meth:`Course.load` so they agree on what a section is.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

SectionStatus = Literal["available", "coming"]
_STATUSES: tuple[str, ...] = ("available", "coming")


class CourseError(Exception):
    """``course.toml`` or a file it points to is missing or malformed; the message names which."""


@dataclass(frozen=True)
class Section:
    number: int
    slug: str
    title: str
    summary: str
    status: SectionStatus

    @property
    def available(self) -> bool:
        return self.status == "available"

    @property
    def notebook_name(self) -> str:
        return f"{self.slug}.ipynb"

    @property
    def source_name(self) -> str:
        return f"{self.slug}.md"


@dataclass(frozen=True)
class Course:
    """A course rooted at a repository (or build) directory holding ``content/`` and
    ``exercises/``."""

    root: Path
    title: str
    subtitle: str
    sections: tuple[Section, ...]

    @property
    def content_dir(self) -> Path:
        return self.root / "content"

    @property
    def exercises_dir(self) -> Path:
        return self.root / "exercises"

    def notebook_path(self, section: Section) -> Path:
        return self.content_dir / section.notebook_name

    def source_path(self, section: Section) -> Path:
        return self.content_dir / "_src" / section.source_name

    def available_sections(self) -> tuple[Section, ...]:
        return tuple(s for s in self.sections if s.available)

    def section(self, slug: str) -> Section:
        for candidate in self.sections:
            if candidate.slug == slug:
                return candidate
        known = ", ".join(s.slug for s in self.sections)
        raise CourseError(f"no section `{slug}` in course.toml (known: {known})")

    @classmethod
    def load(cls, root: Path) -> Course:
        path = root / "content" / "course.toml"
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise CourseError(f"{path}: missing; a course needs content/course.toml") from None
        except tomllib.TOMLDecodeError as error:
            raise CourseError(f"{path}: not valid TOML: {error}") from None
        header = data.get("course", {})
        raw_sections = data.get("sections")
        if not isinstance(raw_sections, list) or not raw_sections:
            raise CourseError(f"{path}: needs at least one [[sections]] table")
        sections = tuple(
            _parse_section(path, index, raw) for index, raw in enumerate(raw_sections, start=1)
        )
        slugs = [s.slug for s in sections]
        duplicates = sorted({s for s in slugs if slugs.count(s) > 1})
        if duplicates:
            raise CourseError(f"{path}: duplicate section slugs: {', '.join(duplicates)}")
        return cls(
            root=root,
            title=str(header.get("title", "Course")),
            subtitle=str(header.get("subtitle", "")),
            sections=sections,
        )


def _parse_section(path: Path, number: int, raw: object) -> Section:
    if not isinstance(raw, dict):
        raise CourseError(f"{path}: section {number} is not a table")
    for field in ("slug", "title", "status"):
        if not isinstance(raw.get(field), str) or not raw[field]:
            raise CourseError(f"{path}: section {number} is missing `{field}`")
    status = raw["status"]
    if status not in _STATUSES:
        raise CourseError(
            f"{path}: section `{raw['slug']}` has status `{status}`; "
            f"use one of {', '.join(_STATUSES)}"
        )
    return Section(
        number=number,
        slug=raw["slug"],
        title=raw["title"],
        summary=str(raw.get("summary", "")),
        status=status,
    )
