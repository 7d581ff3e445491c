"""Metric definitions, after Elixir's ``Telemetry.Metrics``.

A definition says *what* to aggregate from which event; it holds no data. A reporter
(``MetricsReporter``) turns definitions into numbers. The name ``"http.request.stop.duration"``
means: the event ``("http", "request", "stop")``, its measurement ``"duration"``.

- ``counter``: how many times the event happened (the measurement is not read);
- ``sum``: the sum of the measurement;
- ``last_value``: the most recent measurement;
- ``summary``: count, sum, min, max (and mean) of the measurement;
- ``distribution``: a histogram of the measurement over ``buckets`` (upper bounds).

``tags`` name metadata keys that split a metric into series; ``tag_values`` maps the metadata
first (to derive or rename tags); ``keep`` drops events for which it returns False.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from otp.telemetry._handlers import Event

Measurement = str | Callable[[Mapping[str, Any]], Any]
"""A key of the event's measurements, or a function of the measurements (for derived values)."""

DEFAULT_BUCKETS: tuple[float, ...] = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
"""Upper bounds in seconds, suited to durations (the same as Prometheus clients use)."""


def _identity(metadata: Mapping[str, Any]) -> Mapping[str, Any]:
    return metadata


@dataclass(frozen=True, kw_only=True)
class Metric:
    """What every metric definition has; use the factory functions to build one."""

    kind: ClassVar[str] = "metric"

    name: tuple[str, ...]
    event_name: Event
    measurement: Measurement | None
    tags: tuple[str, ...] = ()
    tag_values: Callable[[Mapping[str, Any]], Mapping[str, Any]] = _identity
    keep: Callable[[Mapping[str, Any]], bool] | None = None
    unit: str | None = None
    description: str | None = None

    @property
    def full_name(self) -> str:
        """The dotted name, as given (``"http.request.stop.duration"``)."""
        return ".".join(self.name)

    def measure(self, measurements: Mapping[str, Any]) -> Any:
        """The value this metric reads from an event, or None when the event lacks it."""
        if self.measurement is None:
            return None
        if callable(self.measurement):
            return self.measurement(measurements)
        return measurements.get(self.measurement)


@dataclass(frozen=True, kw_only=True)
class Counter(Metric):
    """Counts events."""

    kind: ClassVar[str] = "counter"


@dataclass(frozen=True, kw_only=True)
class Sum(Metric):
    """Adds up the measurement."""

    kind: ClassVar[str] = "sum"


@dataclass(frozen=True, kw_only=True)
class LastValue(Metric):
    """Keeps the most recent measurement."""

    kind: ClassVar[str] = "last_value"


@dataclass(frozen=True, kw_only=True)
class Summary(Metric):
    """Count, sum, min and max of the measurement."""

    kind: ClassVar[str] = "summary"


@dataclass(frozen=True, kw_only=True)
class Distribution(Metric):
    """A histogram of the measurement: how many values fell at or under each bucket bound."""

    kind: ClassVar[str] = "distribution"

    buckets: tuple[float, ...] = field(default=DEFAULT_BUCKETS)


def _split(name: str | Sequence[str], event_name: Event | None,
           measurement: Measurement | None) -> tuple[tuple[str, ...], Event, Measurement | None]:
    parts = tuple(name.split(".")) if isinstance(name, str) else tuple(name)
    if len(parts) < 2 and event_name is None:
        raise ValueError(
            f"metric name {name!r} needs at least an event part and a measurement part, like "
            "'http.request.stop.duration', or pass event_name= explicitly"
        )
    return parts, event_name or parts[:-1], measurement if measurement is not None else parts[-1]


def _options(tags: Sequence[str], tag_values: Callable[[Mapping[str, Any]], Mapping[str, Any]]
             | None, keep: Callable[[Mapping[str, Any]], bool] | None, unit: str | None,
             description: str | None) -> dict[str, Any]:
    return {
        "tags": tuple(tags),
        "tag_values": tag_values or _identity,
        "keep": keep,
        "unit": unit,
        "description": description,
    }


def counter(name: str | Sequence[str], *, event_name: Event | None = None,
            tags: Sequence[str] = (),
            tag_values: Callable[[Mapping[str, Any]], Mapping[str, Any]] | None = None,
            keep: Callable[[Mapping[str, Any]], bool] | None = None, unit: str | None = None,
            description: str | None = None) -> Counter:
    """Count the events named by ``name`` minus its last part (``"app.job.stop.count"``)."""
    parts, event, _ = _split(name, event_name, None)
    return Counter(name=parts, event_name=event, measurement=None,
                   **_options(tags, tag_values, keep, unit, description))


def sum(name: str | Sequence[str], *, event_name: Event | None = None,
        measurement: Measurement | None = None, tags: Sequence[str] = (),
        tag_values: Callable[[Mapping[str, Any]], Mapping[str, Any]] | None = None,
        keep: Callable[[Mapping[str, Any]], bool] | None = None, unit: str | None = None,
        description: str | None = None) -> Sum:
    """Sum a measurement (named by the last part of ``name`` unless ``measurement`` is given)."""
    parts, event, meas = _split(name, event_name, measurement)
    return Sum(name=parts, event_name=event, measurement=meas,
               **_options(tags, tag_values, keep, unit, description))


def last_value(name: str | Sequence[str], *, event_name: Event | None = None,
               measurement: Measurement | None = None, tags: Sequence[str] = (),
               tag_values: Callable[[Mapping[str, Any]], Mapping[str, Any]] | None = None,
               keep: Callable[[Mapping[str, Any]], bool] | None = None, unit: str | None = None,
               description: str | None = None) -> LastValue:
    """Keep the latest value of a measurement (a queue length, a memory figure)."""
    parts, event, meas = _split(name, event_name, measurement)
    return LastValue(name=parts, event_name=event, measurement=meas,
                     **_options(tags, tag_values, keep, unit, description))


def summary(name: str | Sequence[str], *, event_name: Event | None = None,
            measurement: Measurement | None = None, tags: Sequence[str] = (),
            tag_values: Callable[[Mapping[str, Any]], Mapping[str, Any]] | None = None,
            keep: Callable[[Mapping[str, Any]], bool] | None = None, unit: str | None = None,
            description: str | None = None) -> Summary:
    """Track count, sum, min and max of a measurement."""
    parts, event, meas = _split(name, event_name, measurement)
    return Summary(name=parts, event_name=event, measurement=meas,
                   **_options(tags, tag_values, keep, unit, description))


def distribution(name: str | Sequence[str], *, buckets: Sequence[float] = DEFAULT_BUCKETS,
                 event_name: Event | None = None, measurement: Measurement | None = None,
                 tags: Sequence[str] = (),
                 tag_values: Callable[[Mapping[str, Any]], Mapping[str, Any]] | None = None,
                 keep: Callable[[Mapping[str, Any]], bool] | None = None,
                 unit: str | None = None, description: str | None = None) -> Distribution:
    """Histogram a measurement over ``buckets``, a strictly increasing list of upper bounds."""
    bounds = tuple(float(b) for b in buckets)
    if not bounds or any(a >= b for a, b in itertools.pairwise(bounds)):
        raise ValueError(
            f"distribution {name!r}: buckets must be a non-empty, strictly increasing list of "
            f"upper bounds; got {list(buckets)!r}"
        )
    parts, event, meas = _split(name, event_name, measurement)
    return Distribution(name=parts, event_name=event, measurement=meas, buckets=bounds,
                        **_options(tags, tag_values, keep, unit, description))
