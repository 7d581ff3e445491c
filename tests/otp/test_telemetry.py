"""Telemetry: events reach attached handlers, spans time blocks, metrics aggregate."""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from otp import Process, Supervisor, telemetry
from otp.telemetry import MetricsReporter

_ids = itertools.count()


@pytest.fixture
def handler_id() -> Iterator[str]:
    """A fresh handler id, detached after the test if the test left it attached."""
    hid = f"test-handler-{next(_ids)}"
    yield hid
    try:
        telemetry.detach(hid)
    except telemetry.HandlerNotFoundError:
        pass


def recorder() -> tuple[list[tuple[Any, ...]], Any]:
    seen: list[tuple[Any, ...]] = []

    def handler(event: Any, measurements: Any, metadata: Any, config: Any) -> None:
        seen.append((event, dict(measurements), dict(metadata), config))

    return seen, handler


def test_execute_calls_the_attached_handler_with_event_measurements_metadata_and_config(
    handler_id: str,
) -> None:
    seen, handler = recorder()
    telemetry.attach(handler_id, ("shop", "order", "placed"), handler, config={"x": 1})
    telemetry.execute(("shop", "order", "placed"), {"total": 42}, {"user": "ana"})
    assert seen == [(("shop", "order", "placed"), {"total": 42}, {"user": "ana"}, {"x": 1})]


def test_execute_with_no_handlers_does_nothing() -> None:
    telemetry.execute(("nobody", "listens"), {"n": 1}, {})


def test_handlers_only_see_their_own_event(handler_id: str) -> None:
    seen, handler = recorder()
    telemetry.attach(handler_id, ("a", "b"), handler)
    telemetry.execute(("a", "c"), {}, {})
    telemetry.execute(("a",), {}, {})
    assert seen == []


def test_attach_many_attaches_one_id_to_several_events_and_detach_removes_all(
    handler_id: str,
) -> None:
    seen, handler = recorder()
    telemetry.attach_many(handler_id, [("e", "one"), ("e", "two")], handler)
    telemetry.execute(("e", "one"))
    telemetry.execute(("e", "two"))
    telemetry.detach(handler_id)
    telemetry.execute(("e", "one"))
    assert [event for event, *_ in seen] == [("e", "one"), ("e", "two")]


def test_attaching_an_existing_id_raises_already_exists(handler_id: str) -> None:
    _, handler = recorder()
    telemetry.attach(handler_id, ("x",), handler)
    with pytest.raises(telemetry.HandlerExistsError) as info:
        telemetry.attach(handler_id, ("y",), handler)
    assert info.value.reason == "already_exists"


def test_detaching_an_unknown_id_raises_not_found() -> None:
    with pytest.raises(telemetry.HandlerNotFoundError) as info:
        telemetry.detach("never-attached")
    assert info.value.reason == "not_found"


def test_event_names_must_be_tuples_of_strings(handler_id: str) -> None:
    _, handler = recorder()
    with pytest.raises(TypeError, match="tuple of strings"):
        telemetry.attach(handler_id, "shop.order", handler)  # type: ignore[arg-type]


def test_list_handlers_filters_by_event_prefix(handler_id: str) -> None:
    _, handler = recorder()
    telemetry.attach_many(handler_id, [("lh", "a", "x"), ("lh", "b")], handler)
    assert {h.event_name for h in telemetry.list_handlers(("lh", "a"))} == {("lh", "a", "x")}
    assert {h.event_name for h in telemetry.list_handlers(("lh",))} == {
        ("lh", "a", "x"),
        ("lh", "b"),
    }
    assert all(h.id == handler_id for h in telemetry.list_handlers(("lh",)))


def test_a_handler_that_raises_is_detached_and_logged(
    handler_id: str, caplog: pytest.LogCaptureFixture
) -> None:
    calls: list[int] = []

    def broken(event: Any, measurements: Any, metadata: Any, config: Any) -> None:
        calls.append(1)
        raise ZeroDivisionError("bad handler")

    telemetry.attach(handler_id, ("fragile",), broken)
    with caplog.at_level(logging.ERROR, logger="otp.telemetry"):
        telemetry.execute(("fragile",), {}, {})  # the caller does not see the error
        telemetry.execute(("fragile",), {}, {})
    assert calls == [1]
    assert telemetry.list_handlers(("fragile",)) == []
    [record] = caplog.records
    assert handler_id in record.getMessage() and "detached" in record.getMessage()
    assert record.exc_info is not None and record.exc_info[0] is ZeroDivisionError


def test_a_failing_handler_does_not_stop_the_other_handlers(handler_id: str) -> None:
    seen, good = recorder()

    def broken(*args: Any) -> None:
        raise RuntimeError("boom")

    telemetry.attach(handler_id + "-broken", ("both",), broken)
    telemetry.attach(handler_id, ("both",), good)
    telemetry.execute(("both",), {"n": 1}, {})
    assert len(seen) == 1


def test_span_emits_start_then_stop_with_a_monotonic_duration(handler_id: str) -> None:
    seen, handler = recorder()
    telemetry.attach_many(handler_id, [("job", "start"), ("job", "stop")], handler)
    with telemetry.span(("job",), {"id": 7}) as span:
        span.stop_metadata["result"] = "done"
    (start_event, start_m, start_md, _), (stop_event, stop_m, stop_md, _) = seen
    assert (start_event, stop_event) == (("job", "start"), ("job", "stop"))
    assert {"monotonic_time", "system_time"} <= start_m.keys()
    assert stop_m["duration"] >= 0
    assert stop_m["monotonic_time"] - start_m["monotonic_time"] == pytest.approx(
        stop_m["duration"]
    )
    assert start_md["id"] == 7 and stop_md["result"] == "done"
    assert start_md["telemetry_span_context"] == stop_md["telemetry_span_context"]


async def test_span_works_as_an_async_context_manager_and_measures_awaited_time(
    handler_id: str,
) -> None:
    seen, handler = recorder()
    telemetry.attach(handler_id, ("io", "stop"), handler)
    async with telemetry.span(("io",)):
        await asyncio.sleep(0.05)
    [(_, measurements, _, _)] = seen
    assert measurements["duration"] >= 0.045


def test_span_emits_exception_with_kind_reason_and_stacktrace_and_reraises(
    handler_id: str,
) -> None:
    seen, handler = recorder()
    telemetry.attach_many(handler_id, [("risky", "stop"), ("risky", "exception")], handler)
    with pytest.raises(ValueError, match="nope"), telemetry.span(("risky",), {"k": 1}):
        raise ValueError("nope")
    [(event, measurements, metadata, _)] = seen
    assert event == ("risky", "exception")
    assert measurements["duration"] >= 0
    assert metadata["kind"] == "error" and isinstance(metadata["reason"], ValueError)
    assert metadata["stacktrace"] is not None and metadata["k"] == 1


def test_span_reports_an_otp_exit_with_kind_exit(handler_id: str) -> None:
    from otp._exceptions import ExitError

    seen, handler = recorder()
    telemetry.attach(handler_id, ("leaving", "exception"), handler)
    with pytest.raises(ExitError), telemetry.span(("leaving",)):
        raise ExitError("shutdown")
    assert seen[0][2]["kind"] == "exit"


# --- metrics ---------------------------------------------------------------------------


def test_metric_names_split_into_event_name_and_measurement() -> None:
    metric = telemetry.summary("http.request.stop.duration", tags=["route"])
    assert metric.event_name == ("http", "request", "stop")
    assert metric.measurement == "duration"
    assert metric.tags == ("route",)
    assert metric.full_name == "http.request.stop.duration"


def test_distribution_buckets_must_increase() -> None:
    with pytest.raises(ValueError, match="strictly increasing"):
        telemetry.distribution("a.b.c", buckets=[1, 1, 2])


def test_reporter_aggregates_counter_sum_last_value_summary_and_distribution() -> None:
    metrics = [
        telemetry.counter("shop.order.count"),
        telemetry.sum("shop.order.total"),
        telemetry.last_value("shop.queue.length"),
        telemetry.summary("shop.order.latency"),
        telemetry.distribution("shop.order.size", buckets=[1, 10, 100]),
    ]
    with MetricsReporter(metrics, name="agg-test") as reporter:
        for total, latency, size in [(10, 0.2, 0), (5, 0.1, 10), (1, 0.4, 500)]:
            telemetry.execute(("shop", "order"),
                              {"total": total, "latency": latency, "size": size}, {})
        telemetry.execute(("shop", "queue"), {"length": 3})
        telemetry.execute(("shop", "queue"), {"length": 1})
    telemetry.execute(("shop", "order"), {"total": 100}, {})  # after detach: not counted

    assert reporter.value("shop.order.count") == 3
    assert reporter.value("shop.order.total") == 16
    assert reporter.value("shop.queue.length") == 1
    latency = reporter.value("shop.order.latency")
    assert (latency.count, latency.min, latency.max) == (3, 0.1, 0.4)
    assert latency.mean == pytest.approx(0.7 / 3)
    size = reporter.value("shop.order.size")
    assert size.counts == [1, 1, 0, 1]  # <=1, (1,10], (10,100], above 100
    assert size.cumulative() == [1, 2, 2, 3] and size.sum == 510


def test_tags_split_a_metric_into_series_and_tag_values_derive_them() -> None:
    metrics = [
        telemetry.counter("req.stop.count", tags=["method"]),
        telemetry.sum("req.stop.bytes", tags=["family"],
                      tag_values=lambda md: {"family": f"{md['status'] // 100}xx"}),
    ]
    with MetricsReporter(metrics, name="tags-test") as reporter:
        telemetry.execute(("req", "stop"), {"bytes": 10}, {"method": "GET", "status": 200})
        telemetry.execute(("req", "stop"), {"bytes": 5}, {"method": "GET", "status": 404})
        telemetry.execute(("req", "stop"), {"bytes": 7}, {"method": "POST", "status": 201})
    assert reporter.series("req.stop.count") == {("GET",): 2, ("POST",): 1}
    assert reporter.value("req.stop.bytes", {"family": "2xx"}) == 17
    assert reporter.value("req.stop.bytes", {"family": "4xx"}) == 5


def test_keep_drops_events_the_metric_should_ignore() -> None:
    metric = telemetry.counter("jobs.done.count", keep=lambda md: md.get("queue") == "fast")
    with MetricsReporter([metric], name="keep-test") as reporter:
        telemetry.execute(("jobs", "done"), {}, {"queue": "fast"})
        telemetry.execute(("jobs", "done"), {}, {"queue": "slow"})
    assert reporter.value("jobs.done.count") == 1


def test_a_metric_whose_tag_is_missing_is_detached_alone(
    caplog: pytest.LogCaptureFixture,
) -> None:
    metrics = [telemetry.counter("mt.ev.count", tags=["route"]), telemetry.sum("mt.ev.n")]
    with caplog.at_level(logging.ERROR, logger="otp.telemetry"), \
            MetricsReporter(metrics, name="missing-tag") as reporter:
        telemetry.execute(("mt", "ev"), {"n": 1}, {})
        telemetry.execute(("mt", "ev"), {"n": 2}, {"route": "/"})
    assert reporter.value("mt.ev.count", {"route": "/"}) is None
    assert reporter.value("mt.ev.n") == 3
    assert "needs tag 'route'" in caplog.text


def test_reporter_renders_prometheus_text() -> None:
    metrics = [
        telemetry.counter("web.req.count", tags=["route"], description="Requests served"),
        telemetry.distribution("web.req.duration", buckets=[0.1, 1.0]),
    ]
    with MetricsReporter(metrics, name="prom-test") as reporter:
        telemetry.execute(("web", "req"), {"duration": 0.05}, {"route": "/a"})
        telemetry.execute(("web", "req"), {"duration": 2.0}, {"route": "/a"})
    text = reporter.prometheus()
    assert "# HELP web_req_count Requests served\n# TYPE web_req_count counter\n" in text
    assert 'web_req_count{route="/a"} 2\n' in text
    assert 'web_req_duration_bucket{le="0.1"} 1\n' in text
    assert 'web_req_duration_bucket{le="+Inf"} 2\n' in text
    assert "web_req_duration_count 2\n" in text and "web_req_duration_sum 2.05\n" in text


def test_span_stop_events_feed_a_duration_summary() -> None:
    metric = telemetry.summary("task.run.stop.duration", tags=["kind"])
    with MetricsReporter([metric], name="span-metric") as reporter:
        for _ in range(3):
            with telemetry.span(("task", "run"), {"kind": "import"}):
                pass
    assert reporter.value(metric.full_name, {"kind": "import"}).count == 3


async def test_a_reporter_in_a_supervision_tree_collects_while_its_process_lives(
    no_leaks: None,
) -> None:
    reporter = MetricsReporter([telemetry.counter("sup.ev.count")], name="supervised")
    sup = await Supervisor.start_link([reporter.child_spec()])
    telemetry.execute(("sup", "ev"))
    [child] = await Supervisor.which_children(sup)
    Process.exit(child.pid, "kill")  # detached at once by the exit hook, then restarted
    [restarted] = await Supervisor.which_children(sup)
    assert restarted.pid not in (None, child.pid)
    telemetry.execute(("sup", "ev"))
    assert reporter.value("sup.ev.count") == 2  # the numbers survive the restart
    await Supervisor.stop(sup)
    telemetry.execute(("sup", "ev"))
    assert reporter.value("sup.ev.count") == 2
    assert telemetry.list_handlers(("sup",)) == []
