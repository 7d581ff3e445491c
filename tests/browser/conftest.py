"""Fixtures of the browser suite; see browser_harness.py."""

from browser_harness import academy, browser, context  # noqa: F401
