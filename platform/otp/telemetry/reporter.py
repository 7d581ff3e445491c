"""``MetricsReporter``: aggregate metric definitions in memory.

Each definition gets its own handler (id ``(reporter_name, metric full name)``), so a metric
whose tags are missing from an event's metadata is detached and logged alone, without silencing
the others. Aggregates are updated under a lock because events may be executed from
``run_blocking`` threads as well as from processes.
"""

from __future__ import annotations

import bisect
import math
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from otp._exceptions import HandlerNotFoundError, MissingTagError
from otp._process import _me
from otp._returns import Ok
from otp.child_spec import ChildSpec
from otp.gen_server import GenServer
from otp.telemetry._handlers import Event, attach, detach
from otp.telemetry.metrics import (
    Counter,
    Distribution,
    LastValue,
    Metric,
    Sum,
    Summary,
)

TagValues = tuple[Any, ...]


@dataclass
class SummaryValue:
    """Count, sum, min and max of the values seen so far."""

    count: int = 0
    sum: float = 0.0
    min: float = math.inf
    max: float = -math.inf

    @property
    def mean(self) -> float:
        return self.sum / self.count if self.count else 0.0

    def add(self, value: float) -> None:
        self.count += 1
        self.sum += value
        self.min = min(self.min, value)
        self.max = max(self.max, value)


@dataclass
class DistributionValue:
    """Per-bucket counts: ``counts[i]`` values fell in ``(buckets[i-1], buckets[i]]``; the last
    count (one more than there are buckets) holds values above the highest bound."""

    buckets: tuple[float, ...]
    counts: list[int] = field(default_factory=list)
    count: int = 0
    sum: float = 0.0

    def __post_init__(self) -> None:
        if not self.counts:
            self.counts = [0] * (len(self.buckets) + 1)

    def add(self, value: float) -> None:
        self.counts[bisect.bisect_left(self.buckets, value)] += 1
        self.count += 1
        self.sum += value

    def cumulative(self) -> list[int]:
        """Counts at or under each bound, then the total (Prometheus' ``le`` buckets)."""
        out, running = [], 0
        for c in self.counts:
            running += c
            out.append(running)
        return out


class MetricsReporter:
    """Collects ``metrics`` from the moment ``attach()`` is called until ``detach()``.

    Use it as a context manager, or attach it at application start. ``value(name)`` reads one
    metric's series; ``prometheus()`` renders them all in Prometheus' text format.
    """

    def __init__(self, metrics: Iterable[Metric], *, name: str = "otp.metrics") -> None:
        self.name = name
        self.metrics: tuple[Metric, ...] = tuple(metrics)
        names = [m.full_name for m in self.metrics]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"reporter {name!r}: metric names must be unique; repeated: "
                             f"{duplicates}")
        self._lock = threading.Lock()
        self._series: dict[str, dict[TagValues, Any]] = {n: {} for n in names}
        self._attached = False

    def attach(self) -> MetricsReporter:
        """Start collecting (attaches one telemetry handler per metric)."""
        for metric in self.metrics:
            attach((self.name, metric.full_name), metric.event_name, self._handle, metric)
        self._attached = True
        return self

    def detach(self) -> None:
        """Stop collecting; the values gathered so far stay readable."""
        for metric in self.metrics:
            try:
                detach((self.name, metric.full_name))
            except HandlerNotFoundError:
                pass  # detached earlier because it failed; already logged
        self._attached = False

    def child_spec(self, **overrides: Any) -> ChildSpec:
        """A supervisor child that collects while it runs, like Elixir's reporters.

        Its process attaches the handlers in ``init`` and detaches them when it exits, however
        it exits; the numbers live in this object and survive restarts.
        """
        fields: dict[str, Any] = {
            "id": (MetricsReporter, self.name),
            "start": (_ReporterServer.start_link, (self,)),
        }
        fields.update(overrides)
        return ChildSpec(**fields)

    def __enter__(self) -> MetricsReporter:
        return self.attach()

    def __exit__(self, *exc_info: object) -> None:
        self.detach()

    def _handle(self, event: Event, measurements: Mapping[str, Any],
                metadata: Mapping[str, Any], metric: Metric) -> None:
        if metric.keep is not None and not metric.keep(metadata):
            return
        value = metric.measure(measurements)
        if value is None and not isinstance(metric, Counter):
            return
        tags = self._tags(metric, event, metadata)
        with self._lock:
            series = self._series[metric.full_name]
            match metric:
                case Counter():
                    series[tags] = series.get(tags, 0) + 1
                case Sum():
                    series[tags] = series.get(tags, 0) + value
                case LastValue():
                    series[tags] = value
                case Summary():
                    series.setdefault(tags, SummaryValue()).add(value)
                case Distribution():
                    series.setdefault(tags, DistributionValue(metric.buckets)).add(value)

    @staticmethod
    def _tags(metric: Metric, event: Event, metadata: Mapping[str, Any]) -> TagValues:
        if not metric.tags:
            return ()
        values = metric.tag_values(metadata)
        try:
            return tuple(values[tag] for tag in metric.tags)
        except KeyError as missing:
            raise MissingTagError(metric.full_name, missing.args[0], event) from None

    def value(self, name: str | Sequence[str], tags: Mapping[str, Any] | None = None) -> Any:
        """One series of the metric ``name`` (dotted), picked by its tags; None if never seen.

        Counters and sums give numbers, ``last_value`` the last measurement, summaries a
        ``SummaryValue``, distributions a ``DistributionValue`` (copies, safe to keep).
        """
        metric = self._metric(name)
        key = tuple((tags or {})[t] for t in metric.tags)
        with self._lock:
            current = self._series[metric.full_name].get(key)
            return _copy(current)

    def series(self, name: str | Sequence[str]) -> dict[TagValues, Any]:
        """Every series of one metric, keyed by its tag values (in ``metric.tags`` order)."""
        metric = self._metric(name)
        with self._lock:
            return {k: _copy(v) for k, v in self._series[metric.full_name].items()}

    def _metric(self, name: str | Sequence[str]) -> Metric:
        full = name if isinstance(name, str) else ".".join(name)
        for metric in self.metrics:
            if metric.full_name == full:
                return metric
        raise KeyError(f"reporter {self.name!r} has no metric {full!r}; it has "
                       f"{[m.full_name for m in self.metrics]}")

    def prometheus(self) -> str:
        """All series in Prometheus' text exposition format (dots become underscores)."""
        lines: list[str] = []
        for metric in self.metrics:
            prom = "_".join(metric.name).replace("-", "_")
            kind = {"counter": "counter", "sum": "gauge", "last_value": "gauge",
                    "summary": "summary", "distribution": "histogram"}[metric.kind]
            if metric.description:
                lines.append(f"# HELP {prom} {_escape_help(metric.description)}")
            lines.append(f"# TYPE {prom} {kind}")
            for tags, value in sorted(self.series(metric.full_name).items(), key=_sort_key):
                labels = dict(zip(metric.tags, tags, strict=True))
                match value:
                    case SummaryValue():
                        lines.append(f"{prom}_sum{_labels(labels)} {_num(value.sum)}")
                        lines.append(f"{prom}_count{_labels(labels)} {value.count}")
                    case DistributionValue():
                        bounds = [_num(b) for b in value.buckets] + ["+Inf"]
                        for le, n in zip(bounds, value.cumulative(), strict=True):
                            lines.append(f"{prom}_bucket{_labels({**labels, 'le': le})} {n}")
                        lines.append(f"{prom}_sum{_labels(labels)} {_num(value.sum)}")
                        lines.append(f"{prom}_count{_labels(labels)} {value.count}")
                    case _:
                        lines.append(f"{prom}{_labels(labels)} {_num(value)}")
        return "\n".join(lines) + "\n"


def _copy(value: Any) -> Any:
    match value:
        case SummaryValue():
            return SummaryValue(value.count, value.sum, value.min, value.max)
        case DistributionValue():
            return DistributionValue(value.buckets, list(value.counts), value.count, value.sum)
    return value


def _sort_key(item: tuple[TagValues, Any]) -> tuple[str, ...]:
    return tuple(str(v) for v in item[0])


def _num(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return repr(value) if isinstance(value, float) else str(value)


def _escape_help(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", "\\n")


def _labels(labels: Mapping[str, Any]) -> str:
    if not labels:
        return ""
    body = ",".join(
        f'{k}="{str(v).replace(chr(92), chr(92) * 2).replace(chr(34), chr(92) + chr(34))}"'
        .replace("\n", "\\n")
        for k, v in labels.items()
    )
    return "{" + body + "}"



class _ReporterServer(GenServer):
    """A reporter's process: attached while it lives; detached by an exit hook, so even a
    kill cannot leave handlers behind."""

    async def init(self, reporter: MetricsReporter) -> Ok:
        reporter.attach()
        proc = _me()
        if proc.on_exit is None:
            proc.on_exit = []
        proc.on_exit.append(lambda pid, reason: reporter.detach())
        return Ok(reporter)
