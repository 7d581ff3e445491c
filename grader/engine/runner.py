"""The trusted runner: one test case against one sandbox session, to a `TestResult`.

A case runs in a worker thread inside its own asyncio event loop (fixtures and test, plain or
async), with the `TestContext` set so the learner-module proxies reach the right sandbox.
The verdict is decided here, from what happened in *this* process: a sandbox failure or
timeout recorded on the context fails the case even if the test swallowed the exception.
"""

from __future__ import annotations

import asyncio
import contextvars
import dataclasses
import inspect
import math
import time
from dataclasses import dataclass
from typing import Any

import pytest

from grader.engine.assertions import AssertionFailed, ComparisonFailed
from grader.engine.collect import Fixture, TestCase, TestModuleInstance
from grader.engine.proxy import RemoteRef, TestContext, set_context
from grader.engine.remote_errors import (
    RemoteBaseException,
    SandboxUnavailable,
    TestTimedOut,
)
from grader.engine.results import Comparison, Status, TestResult, Visibility


@dataclass(frozen=True)
class Outcome:
    status: Status
    message: str | None = None
    comparison: Comparison | None = None


def run_case(
    case: TestCase,
    context: TestContext,
    runner: asyncio.Runner | None = None,
    module: TestModuleInstance | None = None,
) -> TestResult:
    """Run `case` to completion in the calling (worker) thread; never raises.

    `runner` is the event loop to run it on (one per submission saves a loop per test);
    without it the case gets a loop of its own. `module` is this submission's execution of
    the case's test module; without it the case runs the functions found at collection.
    """
    if module is not None:
        case = dataclasses.replace(
            case, function=module.namespace[case.function_name], fixtures=module.fixtures
        )
    started = time.perf_counter()
    set_context(context)
    try:
        if runner is None:
            error = asyncio.run(_run_with_fixtures(case, context))
        else:
            # The runner keeps the context it first ran in; this test's context must win.
            fresh = contextvars.copy_context()
            error = runner.run(_run_with_fixtures(case, context), context=fresh)
    except BaseException as unexpected:  # the loop itself failed: count it against the test
        error = unexpected
    finally:
        set_context(None)
    outcome = _judge(case, context, error)
    return TestResult(
        name=case.name,
        task=case.task,
        visibility=case.visibility,
        status=outcome.status,
        points=case.max_points if outcome.status is Status.PASS else 0.0,
        max_points=case.max_points,
        message=outcome.message,
        comparison=outcome.comparison,
        duration_ms=(time.perf_counter() - started) * 1000,
    )


async def _run_with_fixtures(case: TestCase, context: TestContext) -> BaseException | None:
    """The exception the test ended with, or None; fixture teardown always runs."""
    teardowns: list[Any] = []
    error: BaseException | None = None
    deadline = asyncio.timeout(context.remaining())
    try:
        async with deadline:
            values: dict[str, Any] = dict(case.arguments)
            for name in case.params:
                if name not in values:
                    fixture = case.fixtures[name]
                    values[name] = await _fixture_value(fixture, case, values, teardowns)
            result = case.function(**values)
            if inspect.isawaitable(result):
                await result
    except BaseException as raised:
        if isinstance(raised, TimeoutError) and deadline.expired():
            context.fail(TestTimedOut(f"timed out after {context.timeout:g} s"))
        else:
            error = raised
    # Teardown gets what is left of the test's time, and a short grace when nothing is left.
    grace = asyncio.timeout(max(context.remaining(), min(1.0, context.timeout)))
    try:
        async with grace:
            for teardown in reversed(teardowns):
                try:
                    await teardown()
                except asyncio.CancelledError:  # the grace ran out: let the timeout see it
                    raise
                except BaseException as raised:  # a failing teardown fails the test
                    error = error or raised
    except TimeoutError:  # only the grace's own expiry gets here; others were caught above
        context.fail(TestTimedOut(f"fixture teardown timed out after {context.timeout:g} s"))
    context.session.detach_loop()
    return error


async def _fixture_value(
    fixture: Fixture, case: TestCase, values: dict[str, Any], teardowns: list[Any]
) -> Any:
    for name in fixture.params:
        if name not in values:
            values[name] = await _fixture_value(case.fixtures[name], case, values, teardowns)
    result = fixture.function(**{name: values[name] for name in fixture.params})
    if inspect.isasyncgen(result):
        value = await result.__anext__()

        async def finish_async() -> None:
            async for _ in result:
                pass

        teardowns.append(finish_async)
        return value
    if inspect.isgenerator(result):
        value = next(result)

        async def finish() -> None:
            for _ in result:
                pass

        teardowns.append(finish)
        return value
    if inspect.isawaitable(result):
        return await result
    return result


def _is_sandbox_failure(error: BaseException) -> bool:
    return isinstance(error, SandboxUnavailable | TestTimedOut | RemoteBaseException)


def _judge(case: TestCase, context: TestContext, error: BaseException | None) -> Outcome:
    hidden = case.visibility is Visibility.HIDDEN
    failure = context.failure
    if isinstance(failure, TestTimedOut):  # the grader's own words: safe for hidden tests
        return Outcome(Status.TIMEOUT, str(failure) or f"timed out after {context.timeout:g} s")
    if isinstance(failure, SandboxUnavailable):
        return Outcome(Status.ERROR, f"the sandbox stopped answering: {failure}")
    if isinstance(failure, RemoteBaseException):
        return Outcome(Status.ERROR, f"your code raised {failure.remote_type}")
    if failure is not None:
        error = failure
    if error is None:
        return Outcome(Status.PASS)
    author = getattr(error, "message", None) if isinstance(error, AssertionFailed) else None
    if hidden:
        return Outcome(_status_of(error), author or case.description or _generic(error))
    if isinstance(error, ComparisonFailed):
        comparison = Comparison(
            op=error.op,
            expected=to_display(error.expected),
            actual=to_display(error.actual),
            expected_repr=_safe_repr(error.expected),
            actual_repr=_safe_repr(error.actual),
        )
        message = author or (
            f"assert {error.source}: got {comparison.actual_repr}, "
            f"expected {error.op} {comparison.expected_repr}"
        )
        return Outcome(Status.FAIL, message, comparison)
    if isinstance(error, AssertionFailed):
        return Outcome(Status.FAIL, author or f"assertion failed: {error.source}")
    if isinstance(error, pytest.fail.Exception):
        return Outcome(Status.FAIL, str(error) or "the test failed")
    if hasattr(error, "remote_type"):
        detail = str(error)
        message = f"your code raised {error.remote_type}" + (f": {detail}" if detail else "")
        return Outcome(Status.ERROR, message)
    return Outcome(_status_of(error), f"{type(error).__name__}: {error}")


def _status_of(error: BaseException) -> Status:
    if isinstance(error, AssertionError | pytest.fail.Exception):
        return Status.FAIL
    return Status.ERROR


def _generic(error: BaseException) -> str:
    if isinstance(error, AssertionError):
        return "an assertion did not hold"
    if isinstance(error, pytest.fail.Exception):
        return "the expected outcome did not happen"
    if hasattr(error, "remote_type"):
        return f"your code raised {error.remote_type}"
    return f"the test could not complete ({type(error).__name__})"


def _safe_repr(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 2000 else text[:2000] + "…"


def to_display(value: Any, depth: int = 0) -> Any:
    """Trusted values as plain JSON for a UI to diff (tuples/sets -> arrays, refs -> text)."""
    if depth > 20:
        return _safe_repr(value)
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else repr(value)
    if isinstance(value, list | tuple):
        return [to_display(item, depth + 1) for item in value]
    if isinstance(value, set | frozenset):
        items = [to_display(item, depth + 1) for item in value]
        return sorted(items, key=repr)
    if isinstance(value, dict):
        return {
            (k if isinstance(k, str) else _safe_repr(k)): to_display(v, depth + 1)
            for k, v in value.items()
        }
    if isinstance(value, bytes):
        return repr(value)
    if isinstance(value, RemoteRef):
        return repr(value)
    return _safe_repr(value)
