"""Fixtures of the engine's tests: the fixture exercises and a warm sandbox launcher."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from engine_paths import CALC, FIXTURES

from grader.engine import Exercise, load_exercise
from grader.sandbox import SandboxLauncher


@pytest.fixture(scope="session")
def calc() -> Exercise:
    return load_exercise(CALC, root=FIXTURES)


@pytest.fixture
def calc_copy(tmp_path: Path) -> Path:
    """A writable copy of the calc exercise, as `<root>/basics/calc`."""
    folder = tmp_path / "basics" / "calc"
    shutil.copytree(CALC, folder)
    return folder


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def launcher() -> AsyncIterator[SandboxLauncher]:
    async with SandboxLauncher() as started:
        yield started
