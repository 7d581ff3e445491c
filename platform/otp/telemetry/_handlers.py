"""Events and handlers: the part of ``:telemetry`` everything else is built on.

Handlers live in one process-wide table (as ``:telemetry`` keeps them in one ETS table): an
event executed from any process, or from a thread in ``run_blocking``, reaches them. The table
is copied on write, so ``execute`` reads it without a lock and costs one dict lookup when
nobody listens.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeAlias

from otp._exceptions import HandlerExistsError, HandlerNotFoundError

Event: TypeAlias = tuple[str, ...]
"""An event name, e.g. ``("academy", "grading", "stop")``."""

Handler: TypeAlias = Callable[[Event, Mapping[str, Any], Mapping[str, Any], Any], None]
"""``handler(event, measurements, metadata, config)``, called in the executing process."""

logger = logging.getLogger("otp.telemetry")


@dataclass(frozen=True)
class HandlerInfo:
    """One attached handler for one event, as ``list_handlers`` reports it."""

    id: Any
    event_name: Event
    function: Handler
    config: Any


_lock = threading.Lock()
_by_event: dict[Event, tuple[HandlerInfo, ...]] = {}
_by_id: dict[Any, tuple[HandlerInfo, ...]] = {}


def _check_event(event: Any) -> Event:
    if not isinstance(event, tuple) or not event or not all(isinstance(p, str) for p in event):
        raise TypeError(
            f"a telemetry event name is a non-empty tuple of strings, like "
            f"('app', 'request', 'stop'); got {event!r}"
        )
    return event


def attach(handler_id: Any, event: Event, function: Handler, config: Any = None) -> None:
    """Call ``function(event, measurements, metadata, config)`` whenever ``event`` executes."""
    attach_many(handler_id, [event], function, config)


def attach_many(
    handler_id: Any, events: Iterable[Event], function: Handler, config: Any = None
) -> None:
    """Attach one handler, under one id, to several events (detached together)."""
    infos = tuple(HandlerInfo(handler_id, _check_event(e), function, config) for e in events)
    global _by_event, _by_id
    with _lock:
        if handler_id in _by_id:
            raise HandlerExistsError(handler_id)
        by_event = dict(_by_event)
        for info in infos:
            by_event[info.event_name] = (*by_event.get(info.event_name, ()), info)
        _by_id = {**_by_id, handler_id: infos}
        _by_event = by_event


def detach(handler_id: Any) -> None:
    """Remove the handler ``handler_id`` from every event it was attached to."""
    global _by_event, _by_id
    with _lock:
        infos = _by_id.get(handler_id)
        if infos is None:
            raise HandlerNotFoundError(handler_id)
        by_event = dict(_by_event)
        for info in infos:
            remaining = tuple(h for h in by_event.get(info.event_name, ()) if h.id != handler_id)
            if remaining:
                by_event[info.event_name] = remaining
            else:
                by_event.pop(info.event_name, None)
        _by_id = {k: v for k, v in _by_id.items() if k != handler_id}
        _by_event = by_event


def list_handlers(prefix: Event = ()) -> list[HandlerInfo]:
    """Handlers attached to events that start with ``prefix`` (all of them for ``()``)."""
    n = len(prefix)
    return [
        info
        for event, infos in _by_event.items()
        if event[:n] == prefix
        for info in infos
    ]


def execute(
    event: Event,
    measurements: Mapping[str, Any] | None = None,
    metadata: Mapping[str, Any] | None = None,
) -> None:
    """Emit ``event``: every handler attached to it runs now, in the calling process.

    A handler that raises is detached (so a broken handler costs one log entry, not one per
    event) and the error is logged; the caller never sees it.
    """
    infos = _by_event.get(event)
    if not infos:
        return
    measurements = {} if measurements is None else measurements
    metadata = {} if metadata is None else metadata
    for info in infos:
        try:
            info.function(event, measurements, metadata, info.config)
        except Exception:
            logger.exception(
                "telemetry handler %r failed on event %r and has been detached",
                info.id,
                event,
            )
            try:
                detach(info.id)
            except HandlerNotFoundError:
                pass  # detached meanwhile, by itself or by another thread
