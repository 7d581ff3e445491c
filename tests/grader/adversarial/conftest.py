"""One warm sandbox launcher and the adversarial target exercise, shared by the corpus."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from grader.engine import Exercise, load_exercise
from grader.sandbox import SandboxLauncher

HERE = Path(__file__).parent


@pytest.fixture(scope="session")
def target() -> Exercise:
    return load_exercise(HERE / "exercises" / "adversarial" / "target", root=HERE / "exercises")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def launcher() -> AsyncIterator[SandboxLauncher]:
    async with SandboxLauncher() as started:
        yield started
