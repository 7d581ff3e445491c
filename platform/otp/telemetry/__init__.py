"""Telemetry: named events, the handlers attached to them, spans and metrics.

Modelled on Erlang's ``:telemetry`` and Elixir's ``Telemetry.Metrics``:

- ``_handlers``: ``execute`` an event; ``attach``/``detach`` handlers, which run synchronously in
  the process that executes the event. A handler that raises is detached and logged.
- ``_span``: ``span(prefix, metadata)`` emits ``prefix + ("start",)`` and then ``("stop",)`` or
  ``("exception",)``, usable with ``with`` and ``async with``.
- ``metrics``: metric *definitions* (counter, sum, last_value, summary, distribution); they
  describe what to aggregate and hold no data.
- ``reporter``: ``MetricsReporter`` attaches to the definitions' events and aggregates them in
  memory, with a Prometheus text rendering for ``/metrics`` endpoints.
"""

from otp._exceptions import (
    HandlerExistsError,
    HandlerNotFoundError,
    MissingTagError,
    TelemetryError,
)
from otp.telemetry._handlers import (
    Event,
    Handler,
    HandlerInfo,
    attach,
    attach_many,
    detach,
    execute,
    list_handlers,
)
from otp.telemetry._span import Span, span
from otp.telemetry.metrics import (
    Counter,
    Distribution,
    LastValue,
    Metric,
    Sum,
    Summary,
    counter,
    distribution,
    last_value,
    sum,
    summary,
)
from otp.telemetry.reporter import DistributionValue, MetricsReporter, SummaryValue

__all__ = [
    "Counter",
    "Distribution",
    "DistributionValue",
    "Event",
    "Handler",
    "HandlerExistsError",
    "HandlerInfo",
    "HandlerNotFoundError",
    "LastValue",
    "Metric",
    "MetricsReporter",
    "MissingTagError",
    "Span",
    "Sum",
    "Summary",
    "SummaryValue",
    "TelemetryError",
    "attach",
    "attach_many",
    "counter",
    "detach",
    "distribution",
    "execute",
    "last_value",
    "list_handlers",
    "span",
    "sum",
    "summary",
]
