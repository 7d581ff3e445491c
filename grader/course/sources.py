"""Lesson sources: a lesson is written as Markdown (``content/_src/<slug>.md``) and rendered to
its notebook, so reviews read prose and code as text and the notebook is never hand-edited.

The Markdown rules are few:

- a fenced block tagged ``python`` becomes a code cell; any other fence (``elixir``, ``text``)
  stays inside the surrounding Markdown cell, as an illustration that does not run;
- a fenced block tagged ``python exercise=<section>/<slug>`` becomes two cells: the exercise's
  prompt and hints (Markdown), then the exercise cell, whose first line is the ``%%exercise``
  cell magic and whose rest is the starter code. Both are read from the exercise folder, so
  they live in exactly one place (the fence's own body must be empty);
- the Markdown between code cells becomes one Markdown cell per ``##`` heading.

Cell ids are derived from the position in the lesson, so rendering twice gives identical files
and ``academy course validate`` can tell when a committed notebook is stale.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from grader.course.catalog import Course, CourseError, Section

EXERCISE_METADATA_KEY = "academy"
"""Cell metadata ``{"academy": {"exercise": "<section>/<slug>"}}`` links a cell to its exercise."""

EXERCISE_MAGIC = "exercise"

_FENCE = re.compile(r"^```(?P<info>[^`]*)$")
_EXERCISE_INFO = re.compile(r"^python\s+exercise=(?P<id>[\w.-]+/[\w.-]+)\s*$")

@dataclass(frozen=True)
class ExerciseMaterial:
    """What a lesson shows of an exercise."""

    title: str
    prompt: str
    hints: tuple[str, ...]
    starter: str


ExerciseLookup = Callable[[str], ExerciseMaterial]
"""Given an exercise id, return what the lesson shows of it (raises CourseError if unknown)."""


class LessonSourceError(CourseError):
    """A lesson's Markdown source cannot be rendered; the message names the file and line."""


@dataclass(frozen=True)
class _Block:
    kind: str  # "markdown" | "code" | "exercise"
    text: str
    exercise_id: str = ""


def exercise_cell_source(exercise_id: str, code: str) -> str:
    """The text of an exercise cell: the cell magic line, then the learner's code."""
    return f"%%{EXERCISE_MAGIC} {exercise_id}\n{code.rstrip()}\n"


def split_exercise_cell(source: str) -> tuple[str, str] | None:
    """``(exercise_id, code)`` when ``source`` is an exercise cell, else ``None``."""
    first, _, rest = source.partition("\n")
    match = re.fullmatch(rf"%%{EXERCISE_MAGIC}\s+(\S+)(\s+.*)?", first.strip())
    return (match.group(1), rest) if match else None


def exercise_id_of(cell: NotebookNode) -> str | None:
    """The exercise a cell is linked to by its metadata, if any."""
    linked = cell.get("metadata", {}).get(EXERCISE_METADATA_KEY, {})
    value = linked.get("exercise") if isinstance(linked, dict) else None
    return value if isinstance(value, str) else None


def _parse(path: Path, text: str) -> list[_Block]:
    blocks: list[_Block] = []
    markdown: list[str] = []
    lines = text.splitlines()
    index = 0

    def flush_markdown() -> None:
        chunk: list[str] = []
        for line in [*markdown, "## "]:
            if line.startswith("## ") and any(s.strip() for s in chunk):
                blocks.append(_Block("markdown", "\n".join(chunk).strip("\n")))
                chunk = []
            chunk.append(line)
        markdown.clear()

    while index < len(lines):
        line = lines[index]
        fence = _FENCE.match(line.strip()) if line.startswith("```") else None
        info = fence.group("info").strip() if fence else ""
        if fence and (info == "python" or info.startswith("python ")):
            start = index + 1
            end = start
            while end < len(lines) and lines[end].strip() != "```":
                end += 1
            if end == len(lines):
                raise LessonSourceError(f"{path}:{index + 1}: code fence is never closed")
            body = "\n".join(lines[start:end]).strip("\n")
            flush_markdown()
            if info == "python":
                blocks.append(_Block("code", body))
            else:
                match = _EXERCISE_INFO.match(info)
                if not match:
                    raise LessonSourceError(
                        f"{path}:{index + 1}: unknown fence `{info}`; use ```python or "
                        "```python exercise=<section>/<slug>"
                    )
                if body:
                    raise LessonSourceError(
                        f"{path}:{index + 1}: an exercise fence must be empty; its starter "
                        f"code comes from exercises/{match.group('id')}/"
                    )
                blocks.append(_Block("exercise", "", match.group("id")))
            index = end + 1
            continue
        if fence:  # a non-Python fence: copy through to the closing fence untouched
            markdown.append(line)
            index += 1
            while index < len(lines) and lines[index].strip() != "```":
                markdown.append(lines[index])
                index += 1
            if index < len(lines):
                markdown.append(lines[index])
            index += 1
            continue
        markdown.append(line)
        index += 1
    flush_markdown()
    return blocks


def exercise_markdown(exercise_id: str, material: ExerciseMaterial) -> str:
    """The prompt shown above an exercise cell: headings demoted under the lesson's, the hints,
    and how to run and submit."""
    lines = material.prompt.strip().splitlines()
    if lines and lines[0].startswith("# "):
        lines = lines[1:]
    body = "\n".join(
        f"##{line}" if line.startswith("#") else line for line in lines
    ).strip()
    parts = [f"### Exercise: {material.title}", "", body, ""]
    if material.hints:
        # Plain Markdown, no <details>: the service's lesson pages render Markdown without HTML.
        parts += ["**Hints** (try without them first):", ""]
        parts += [f"{number}. {hint}" for number, hint in enumerate(material.hints, start=1)]
        parts.append("")
    parts.append(
        f"Edit the cell below and run it: its visible tests run on your code. When they pass, "
        f"run `%submit {exercise_id}` in a new cell to grade it on every test."
    )
    return "\n".join(parts)


def render_lesson(
    path: Path, section: Section, exercise_of: ExerciseLookup
) -> NotebookNode:
    """The notebook for one lesson source, with outputs empty and stable cell ids."""
    blocks = _parse(path, path.read_text(encoding="utf-8"))
    cells: list[NotebookNode] = []
    for number, block in enumerate(blocks, start=1):
        cell_id = f"c{number:03d}"
        if block.kind == "markdown":
            cells.append(nbformat.v4.new_markdown_cell(block.text, id=cell_id))
        elif block.kind == "code":
            cells.append(nbformat.v4.new_code_cell(block.text, id=cell_id))
        else:
            try:
                material = exercise_of(block.exercise_id)
            except CourseError as error:
                raise LessonSourceError(f"{path}: {error}") from None
            prompt = nbformat.v4.new_markdown_cell(
                exercise_markdown(block.exercise_id, material), id=f"{cell_id}-prompt"
            )
            prompt.metadata[EXERCISE_METADATA_KEY] = {"prompt": block.exercise_id}
            cell = nbformat.v4.new_code_cell(
                exercise_cell_source(block.exercise_id, material.starter), id=cell_id
            )
            cell.metadata[EXERCISE_METADATA_KEY] = {"exercise": block.exercise_id}
            cell.metadata["tags"] = ["exercise"]
            cells.extend([prompt, cell])
    notebook = nbformat.v4.new_notebook(cells=cells)
    notebook.metadata = {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
        EXERCISE_METADATA_KEY: {"section": section.slug, "title": section.title},
    }
    return notebook


def notebook_text(notebook: NotebookNode) -> str:
    """The exact text written to disk (what the staleness check compares)."""
    return nbformat.writes(notebook, version=4) + "\n"


def render_course(course: Course, exercise_of: ExerciseLookup) -> dict[Path, str]:
    """Every available section's notebook text, keyed by where it belongs."""
    rendered: dict[Path, str] = {}
    for section in course.available_sections():
        source = course.source_path(section)
        if not source.is_file():
            raise LessonSourceError(
                f"section `{section.slug}` is available but {source} does not exist"
            )
        rendered[course.notebook_path(section)] = notebook_text(
            render_lesson(source, section, exercise_of)
        )
    return rendered
