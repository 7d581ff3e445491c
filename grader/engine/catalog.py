"""The catalog: every exercise under an exercises root, loaded once and looked up by id."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from grader.engine.errors import ExerciseError
from grader.engine.exercise import Exercise, load_exercise

EXERCISES_ENV = "ACADEMY_EXERCISES"


def default_root(start: Path | None = None) -> Path | None:
    """Where exercises live: $ACADEMY_EXERCISES, else `exercises/` of the enclosing repo."""
    if env := os.environ.get(EXERCISES_ENV):
        return Path(env)
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / "exercises"
        if candidate.is_dir() and (folder / "pyproject.toml").is_file():
            return candidate
    # Installed in editable mode from the repository: grader/engine/ -> repository root.
    candidate = Path(__file__).resolve().parents[2] / "exercises"
    return candidate if candidate.is_dir() else None


class Catalog:
    """Exercises by id (`01-genserver/stack`), in id order."""

    def __init__(self, root: Path, exercises: dict[str, Exercise]):
        self.root = root
        self._exercises = dict(sorted(exercises.items()))

    @classmethod
    def load(cls, root: Path) -> Catalog:
        """Load every `<section>/<slug>/exercise.toml` under `root`; the first error stops it."""
        root = Path(root).resolve()
        exercises: dict[str, Exercise] = {}
        for toml_path in sorted(root.glob("*/*/exercise.toml")):
            exercise = load_exercise(toml_path.parent, root=root)
            exercises[exercise.id] = exercise
        return cls(root, exercises)

    def get(self, exercise_id: str) -> Exercise:
        try:
            return self._exercises[exercise_id]
        except KeyError:
            known = ", ".join(self._exercises) or "none"
            raise ExerciseError(
                exercise_id, str(self.root), f"no such exercise (known: {known})"
            ) from None

    def __iter__(self) -> Iterator[Exercise]:
        return iter(self._exercises.values())

    def __len__(self) -> int:
        return len(self._exercises)

    def __contains__(self, exercise_id: object) -> bool:
        return exercise_id in self._exercises


def find_exercise(reference: str, root: Path | None = None) -> Exercise:
    """Resolve `reference` (an exercise folder, or an id under `root`) and load it alone."""
    as_path = Path(reference)
    if (as_path / "exercise.toml").is_file():
        return load_exercise(as_path)
    root = root or default_root()
    if root is None:
        raise ExerciseError(
            reference, "exercises/", f"cannot find the exercises folder; pass --exercises or set "
            f"{EXERCISES_ENV}",
        )
    folder = Path(root) / reference
    if not (folder / "exercise.toml").is_file():
        raise ExerciseError(reference, str(root), "no such exercise folder")
    return load_exercise(folder, root=root)
