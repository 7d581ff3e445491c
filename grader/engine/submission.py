"""Submissions: turn what a learner hands in (.py, folder, notebook) into the learner's files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from grader.engine.errors import SubmissionError
from grader.engine.exercise import Exercise

NOTEBOOK_KEY = "academy"  # cell.metadata.academy = {"exercise": "<id>", "file": "stack.py"}
MAX_FILE_BYTES = 1024 * 1024


def extract_submission(exercise: Exercise, path: Path) -> dict[str, str]:
    """The learner's files (`{"stack.py": source}`) found in a .py file, a folder or a notebook."""
    path = Path(path)
    if path.is_dir():
        return _from_folder(exercise, path)
    if not path.is_file():
        raise SubmissionError(f"submission `{path}` does not exist")
    if path.suffix == ".ipynb":
        return _from_notebook(exercise, path)
    if path.suffix == ".py":
        if len(exercise.files) != 1:
            raise SubmissionError(
                f"exercise `{exercise.id}` needs {len(exercise.files)} files "
                f"({', '.join(exercise.files)}): submit a folder holding them"
            )
        return {exercise.files[0]: _read(path)}
    raise SubmissionError(f"submission `{path}` must be a .py file, a folder or a .ipynb notebook")


def _read(path: Path) -> str:
    if path.stat().st_size > MAX_FILE_BYTES:
        raise SubmissionError(f"`{path}` is larger than {MAX_FILE_BYTES // 1024} KiB")
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise SubmissionError(f"`{path}` is not UTF-8 text") from None


def _from_folder(exercise: Exercise, folder: Path) -> dict[str, str]:
    missing = [name for name in exercise.files if not (folder / name).is_file()]
    if missing:
        raise SubmissionError(
            f"folder `{folder}` lacks {', '.join(missing)} (exercise `{exercise.id}` needs "
            f"{', '.join(exercise.files)})"
        )
    return {name: _read(folder / name) for name in exercise.files}


def _from_notebook(exercise: Exercise, path: Path) -> dict[str, str]:
    try:
        notebook = json.loads(_read(path))
        cells = notebook["cells"]
        if not isinstance(cells, list):
            raise TypeError
    except (json.JSONDecodeError, KeyError, TypeError):
        raise SubmissionError(f"`{path}` is not a Jupyter notebook") from None
    parts: dict[str, list[str]] = {name: [] for name in exercise.files}
    for cell in cells:
        marker = _academy_metadata(cell)
        if cell.get("cell_type") != "code" or marker.get("exercise") != exercise.id:
            continue
        file = marker.get("file", exercise.files[0])
        if file not in parts:
            raise SubmissionError(
                f"`{path}`: a cell of `{exercise.id}` names file `{file}`, which the exercise "
                f"does not have ({', '.join(exercise.files)})"
            )
        parts[file].append(_cell_code(cell.get("source", "")))
    if not any(parts.values()):
        raise SubmissionError(
            f"`{path}` has no code cell for exercise `{exercise.id}` (cells are found by "
            f'metadata "{NOTEBOOK_KEY}": {{"exercise": "{exercise.id}"}})'
        )
    missing = [name for name, chunks in parts.items() if not chunks]
    if missing:
        raise SubmissionError(f"`{path}` has no cell for {', '.join(missing)}")
    return {name: "\n\n".join(chunks) + "\n" for name, chunks in parts.items()}


def _academy_metadata(cell: Any) -> dict[str, Any]:
    if not isinstance(cell, dict):
        return {}
    metadata = cell.get("metadata")
    marker = metadata.get(NOTEBOOK_KEY) if isinstance(metadata, dict) else None
    return marker if isinstance(marker, dict) else {}


def _cell_code(source: str | list[str]) -> str:
    text = "".join(source) if isinstance(source, list) else str(source)
    # IPython magics and shell escapes mean nothing in a module; drop those lines.
    lines = [line for line in text.splitlines() if not line.lstrip().startswith(("%", "!"))]
    return "\n".join(lines)


def notebook_exercises(path: Path) -> list[str]:
    """Ids of the exercises a notebook has cells for, in first-seen order."""
    try:
        cells = json.loads(_read(path)).get("cells", [])
    except (json.JSONDecodeError, AttributeError):
        raise SubmissionError(f"`{path}` is not a Jupyter notebook") from None
    found: list[str] = []
    for cell in cells if isinstance(cells, list) else []:
        exercise_id = _academy_metadata(cell).get("exercise")
        if isinstance(exercise_id, str) and exercise_id not in found:
            found.append(exercise_id)
    return found
