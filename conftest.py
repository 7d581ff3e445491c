"""Checks that hold for every test module of the suite.

At the repository root, not in tests/: a conftest's folder goes on sys.path, and tests/ holds
folders named like the packages (tests/grader, tests/otp) that would shadow them there.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest


def _loop_running_in_this_thread() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


@pytest.fixture(autouse=True, scope="module")
def no_event_loop_left_running() -> Iterator[None]:
    """A module that leaves an event loop marked as running in the main thread (Playwright's
    sync API does until it stops) breaks every asyncio test after it, far from the cause:
    fail in the module that did it instead."""
    yield
    assert not _loop_running_in_this_thread(), (
        "this test module left an asyncio event loop running in the main thread"
    )
