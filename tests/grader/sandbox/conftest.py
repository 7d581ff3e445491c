"""A started launcher per test module (the zygote is started once and shared)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio

from grader.sandbox import SandboxLauncher


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def launcher() -> AsyncIterator[SandboxLauncher]:
    async with SandboxLauncher(preload=("otp",)) as started:
        yield started
