from pathlib import Path

import pytest

from grader.course import Course, CourseError
from grader.course.catalog import Section
from grader.course.sources import (
    ExerciseMaterial,
    LessonSourceError,
    exercise_id_of,
    notebook_text,
    render_lesson,
    split_exercise_cell,
)

SECTION = Section(1, "01-demo", "Demo", "", "available")
MATERIAL = ExerciseMaterial(
    title="Count things",
    prompt="# Count things\n\nWrite `count`.\n\n## Details\n\nMore.",
    hints=("Use len.",),
    starter="def count(xs):\n    return 0\n",
)


def lookup(exercise_id: str) -> ExerciseMaterial:
    if exercise_id != "01-demo/count":
        raise CourseError(f"unknown exercise `{exercise_id}`")
    return MATERIAL


def render(tmp_path: Path, text: str):
    source = tmp_path / "01-demo.md"
    source.write_text(text, encoding="utf-8")
    return render_lesson(source, SECTION, lookup)


def test_python_fences_become_code_cells_and_other_fences_stay_in_markdown(tmp_path):
    notebook = render(
        tmp_path,
        "# Title\n\nIntro.\n\n```elixir\nIO.puts(1)\n```\n\n```python\nx = 1\n```\n\nAfter.\n",
    )
    kinds = [(cell.cell_type, cell.source) for cell in notebook.cells]
    assert kinds == [
        ("markdown", "# Title\n\nIntro.\n\n```elixir\nIO.puts(1)\n```"),
        ("code", "x = 1"),
        ("markdown", "After."),
    ]


def test_markdown_is_split_at_second_level_headings(tmp_path):
    notebook = render(tmp_path, "Intro.\n\n## One\n\nA.\n\n## Two\n\nB.\n")
    assert [cell.source for cell in notebook.cells] == ["Intro.", "## One\n\nA.", "## Two\n\nB."]


def test_an_exercise_fence_becomes_its_prompt_then_a_linked_starter_cell(tmp_path):
    notebook = render(tmp_path, "Text.\n\n```python exercise=01-demo/count\n```\n")
    prompt, cell = notebook.cells[1], notebook.cells[2]
    assert prompt.cell_type == "markdown"
    assert prompt.source.startswith("### Exercise: Count things")
    assert "### Details" in prompt.source, "the prompt's own headings sit under the lesson's"
    assert "1. Use len." in prompt.source
    assert "%submit 01-demo/count" in prompt.source
    assert cell.source == "%%exercise 01-demo/count\ndef count(xs):\n    return 0\n"
    assert exercise_id_of(cell) == "01-demo/count"
    assert split_exercise_cell(cell.source) == ("01-demo/count", MATERIAL.starter)


def test_an_exercise_fence_with_code_inside_is_refused(tmp_path):
    with pytest.raises(LessonSourceError, match="must be empty"):
        render(tmp_path, "```python exercise=01-demo/count\nx = 1\n```\n")


def test_an_unknown_exercise_is_reported_with_the_source_file(tmp_path):
    with pytest.raises(LessonSourceError, match=r"01-demo\.md: unknown exercise `01-demo/nope`"):
        render(tmp_path, "```python exercise=01-demo/nope\n```\n")


def test_an_unclosed_fence_names_its_line(tmp_path):
    with pytest.raises(LessonSourceError, match=r"01-demo\.md:3: code fence is never closed"):
        render(tmp_path, "Text.\n\n```python\nx = 1\n")


def test_rendering_twice_gives_identical_text_without_outputs(tmp_path):
    text = "Intro.\n\n```python\nprint(1)\n```\n\n```python exercise=01-demo/count\n```\n"
    first, second = notebook_text(render(tmp_path, text)), notebook_text(render(tmp_path, text))
    assert first == second
    assert '"outputs": []' in first and '"execution_count": null' in first


def test_the_committed_lessons_are_up_to_date_with_their_sources():
    from grader.course.sources import render_course
    from grader.course.validate import load_exercises

    root = Path(__file__).resolve().parents[3]
    course = Course.load(root)
    for path, text in render_course(course, load_exercises(root).material).items():
        assert path.read_text(encoding="utf-8") == text, f"{path.name}: run academy course render"
