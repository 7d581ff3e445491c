"""``academy course new-exercise``: a new exercise folder that validates from the first minute.

The scaffold is a complete, tiny exercise (a greeting GenServer) with every file the engine
requires, a starter that fails and a solution that passes, so an author starts from something
``academy course validate`` accepts and replaces it piece by piece.
"""

from __future__ import annotations

import keyword
import re
from pathlib import Path

from grader.course.catalog import Course, CourseError

DIFFICULTIES = ("easy", "medium", "hard")
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]*$")


class ScaffoldError(CourseError):
    """The exercise cannot be created where or as asked; the message says what to change."""


_TOML = """id = "{id}"
title = "{title}"
difficulty = "{difficulty}"
files = ["{module}.py"]
hints = [
    "Match the request in handle_call: case (\\"greet\\", who).",
]

[limits]
test_seconds = 2

[[tasks]]
name = "Greet"
tests = ["test_*"]
"""

_PROMPT = """# {title}

Write `Greeter`, a GenServer in `{module}.py` that greets people with the greeting it was
started with.

| function | kind | returns |
|---|---|---|
| `await Greeter.start_link(greeting="Hello")` | start | its pid |
| `await Greeter.greet(server, who)` | call | `"<greeting>, <who>!"` |
"""

_CODE = '''from otp import GenServer, Ok, Reply


class Greeter(GenServer):
    @classmethod
    async def start_link(cls, greeting="Hello", *, name=None):
        return await super().start_link(greeting, name=name)

    @staticmethod
    async def greet(server, who):
        return await GenServer.call(server, ("greet", who))

    async def init(self, greeting):
        return Ok(greeting)

    async def handle_call(self, request, from_, greeting):
{body}
'''

_STARTER_BODY = """        # TODO: reply with f"{greeting}, {who}!"
        return Reply(None, greeting)"""

_SOLUTION_BODY = """        match request:
            case ("greet", who):
                return Reply(f"{greeting}, {who}!", greeting)"""

_VISIBLE = '''import {module}


async def test_greets_by_name():
    pid = await {module}.Greeter.start_link()
    assert await {module}.Greeter.greet(pid, "Ada") == "Hello, Ada!"
'''

_HIDDEN = '''import {module}


async def test_uses_the_greeting_it_was_started_with():
    pid = await {module}.Greeter.start_link("Bonjour")
    assert await {module}.Greeter.greet(pid, "Alan") == "Bonjour, Alan!", (
        "use the greeting given to start_link"
    )
'''


def new_exercise(
    course: Course,
    exercise_id: str,
    *,
    title: str | None = None,
    difficulty: str = "easy",
    module: str | None = None,
) -> Path:
    """Create ``exercises/<section>/<slug>/``; returns the folder."""
    section_slug, _, slug = exercise_id.partition("/")
    if not slug or "/" in slug or not _SLUG.match(slug):
        raise ScaffoldError(
            f"`{exercise_id}` is not <section>/<slug> with a slug of lowercase letters, digits "
            "and dashes (e.g. 02-supervisor/rate-limiter)"
        )
    course.section(section_slug)  # raises, naming the known sections, when unknown
    if difficulty not in DIFFICULTIES:
        raise ScaffoldError(f"difficulty must be one of {', '.join(DIFFICULTIES)}")
    module = module or slug.replace("-", "_")
    if not module.isidentifier() or keyword.iskeyword(module):
        raise ScaffoldError(f"`{module}` cannot be a module name; pass --module")
    folder = course.exercises_dir / section_slug / slug
    if folder.exists():
        raise ScaffoldError(f"{folder} already exists")
    values = {
        "id": exercise_id,
        "title": title or slug.replace("-", " ").capitalize(),
        "difficulty": difficulty,
        "module": module,
    }
    files = {
        "exercise.toml": _TOML.format(**values),
        "prompt.md": _PROMPT.format(**values),
        f"starter/{module}.py": _CODE.format(body=_STARTER_BODY),
        f"solution/{module}.py": _CODE.format(body=_SOLUTION_BODY),
        f"tests/visible/test_{module}.py": _VISIBLE.format(**values),
        f"tests/hidden/test_{module}_hidden.py": _HIDDEN.format(**values),
    }
    for relative, text in files.items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return folder
