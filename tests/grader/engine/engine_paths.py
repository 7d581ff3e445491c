"""Where the engine tests' fixture exercises live (shared by conftest and test modules)."""

from pathlib import Path

FIXTURES = Path(__file__).parents[1] / "fixtures" / "exercises"
CALC = FIXTURES / "basics" / "calc"
REPO = Path(__file__).parents[3]
