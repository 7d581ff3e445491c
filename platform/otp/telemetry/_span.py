"""``span``: time a block of code and report how it ended, as ``:telemetry.span/3`` does.

Events, for ``span(("app", "work"), meta)``:

- ``("app", "work", "start")`` with ``monotonic_time`` and ``system_time``;
- ``("app", "work", "stop")`` with ``duration`` (seconds, from ``time.monotonic``) and
  ``monotonic_time``; its metadata is the start metadata updated with ``Span.stop_metadata``;
- ``("app", "work", "exception")`` instead of stop when the block raises (or is cancelled), with
  ``kind`` (``"error"``, or ``"exit"`` for an otp exit or a cancellation), ``reason`` (the
  exception) and ``stacktrace`` in the metadata. The exception is never swallowed.

Every event of one span carries the same ``telemetry_span_context`` so handlers can pair them.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Mapping
from types import TracebackType
from typing import Any

from otp._exceptions import ExitError
from otp.telemetry._handlers import Event, execute

_span_ids = itertools.count(1)


class Span:
    """One timed block; enter it with ``with`` or ``async with``.

    Set keys in ``stop_metadata`` inside the block (a result size, a status) to add them to the
    stop event's metadata, like the ``{result, stop_metadata}`` pair in Elixir.
    """

    __slots__ = ("_start", "context", "event_prefix", "metadata", "stop_metadata")

    def __init__(self, event_prefix: Event, metadata: Mapping[str, Any] | None = None) -> None:
        if not isinstance(event_prefix, tuple) or not event_prefix:
            raise TypeError(f"span needs an event prefix tuple like ('app', 'work'); got "
                            f"{event_prefix!r}")
        self.event_prefix = event_prefix
        self.context = next(_span_ids)
        self.metadata: dict[str, Any] = {**(metadata or {}), "telemetry_span_context": self.context}
        self.stop_metadata: dict[str, Any] = {}
        self._start = 0.0

    def __enter__(self) -> Span:
        self._start = time.monotonic()
        execute(
            (*self.event_prefix, "start"),
            {"monotonic_time": self._start, "system_time": time.time()},
            self.metadata,
        )
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        now = time.monotonic()
        measurements = {"duration": now - self._start, "monotonic_time": now}
        if exc is None:
            execute((*self.event_prefix, "stop"), measurements,
                    {**self.metadata, **self.stop_metadata})
            return
        kind = "exit" if isinstance(exc, ExitError | asyncio.CancelledError) else "error"
        execute(
            (*self.event_prefix, "exception"),
            measurements,
            {**self.metadata, "kind": kind, "reason": exc, "stacktrace": tb},
        )

    async def __aenter__(self) -> Span:
        return self.__enter__()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.__exit__(exc_type, exc, tb)


def span(event_prefix: Event, metadata: Mapping[str, Any] | None = None) -> Span:
    """Time the block under ``with``/``async with`` and emit start, stop or exception events."""
    return Span(event_prefix, metadata)
