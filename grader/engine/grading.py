"""`grade`: one submission of one exercise, from the learner's files to a verdict.

The orchestration: start a sandbox with the learner's files (the agent inside imports them),
then run every test case in turn in the trusted runner. Before each case the sandbox gets a
fresh event loop (`reset`); a case that timed out or lost the sandbox gets the sandbox
replaced, so one hang costs one test, not the submission. Everything is bounded by the
exercise's wall-clock budget; tests left when it runs out are `timeout`.

The grading of one submission runs in a worker thread that talks to the sandbox's socket
directly (see `proxy.Session`); only starting and stopping sandboxes goes through the
caller's event loop, where the launcher lives.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import socket
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol

from grader.engine.collect import TestCase
from grader.engine.errors import GraderFailure
from grader.engine.exercise import Exercise
from grader.engine.proxy import RemoteRef, Session, TestContext
from grader.engine.remote_errors import SandboxUnavailable, to_trusted_exception
from grader.engine.results import (
    CapturedOutput,
    GradingResult,
    Status,
    TestResult,
    Timings,
)
from grader.engine.runner import run_case
from grader.sandbox import ChannelError

_RESET_SECONDS = 1.0
_BYE_SECONDS = 0.2
_OUTPUT_CHARS = 64 * 1024
_LAUNCHER_SECONDS = 60.0  # starting or stopping one sandbox; far above normal (milliseconds)

# One thread per submission being graded: it blocks on the sandbox's socket while it waits.
_EXECUTOR = ThreadPoolExecutor(max_workers=32, thread_name_prefix="academy-grade")


class SandboxedProcessLike(Protocol):
    channel: Any
    isolation: Any

    async def wait(self) -> Any: ...
    async def kill(self) -> Any: ...


class LauncherLike(Protocol):
    async def spawn(
        self, files: Mapping[str, bytes], limits: Any, entry: str = ...
    ) -> SandboxedProcessLike: ...


async def grade(
    exercise: Exercise, files: Mapping[str, str], *, launcher: LauncherLike | None = None
) -> GradingResult:
    """Grade `files` (the learner's files by name) against every test of `exercise`.

    `launcher` is a started `grader.sandbox.SandboxLauncher` (one per worker process, so the
    zygote stays warm); without one, a launcher is started and closed for this call alone.
    Raises `GraderFailure` only when the grader itself cannot work; anything the learner's
    code does is a verdict.
    """
    if launcher is None:
        from grader.sandbox import SandboxLauncher

        own = SandboxLauncher()
        await own.start()
        try:
            return await grade(exercise, files, launcher=own)
        finally:
            await own.close()
    grading = _Grading(exercise, files, launcher, asyncio.get_running_loop())
    return await grading.loop.run_in_executor(_EXECUTOR, grading.run)


def sandbox_limits(exercise: Exercise, wall_seconds: float) -> Any:
    from grader.sandbox import Limits

    limits = exercise.limits
    return Limits(
        wall_seconds=wall_seconds,
        cpu_seconds=limits.cpu_seconds,
        memory_bytes=limits.memory_mb * 2**20,
        output_bytes=limits.output_kb * 1024,
    )


def _take_socket(channel: Any) -> socket.socket:
    """The channel's socket, for this engine's own I/O (see `proxy.Session`).

    The sandbox hands over an asyncio `Channel`; the engine reads and writes the same
    connection from its own thread without a second event loop in the way, so it detaches
    the socket before anything has been received (the channel is only closed afterwards).
    """
    try:
        return channel.detach()
    except (AttributeError, ChannelError) as error:
        raise GraderFailure(f"the sandbox's channel cannot be handed over: {error}") from error


@dataclass
class _Sandbox:
    process: SandboxedProcessLike
    session: Session
    fresh: bool = True


class _LoadFailed(Exception):
    def __init__(self, status: Status, message: str):
        self.status = status
        super().__init__(message)


class _Grading:
    def __init__(
        self,
        exercise: Exercise,
        files: Mapping[str, str],
        launcher: LauncherLike,
        loop: asyncio.AbstractEventLoop,
    ):
        self.exercise = exercise
        self.files = {name: source.encode("utf-8") for name, source in files.items()}
        self.launcher = launcher
        self.loop = loop
        self.started = time.monotonic()
        self.deadline = self.started + exercise.limits.wall_seconds
        self.isolation = "unknown"
        self.stdout: list[str] = []
        self.stderr: list[str] = []
        self.truncated = False

    def remaining(self) -> float:
        return max(0.0, self.deadline - time.monotonic())

    def _on_loop(self, coroutine: Any) -> Any:
        future = asyncio.run_coroutine_threadsafe(coroutine, self.loop)
        try:
            return future.result(timeout=_LAUNCHER_SECONDS)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise GraderFailure(
                f"the sandbox launcher did not respond within {_LAUNCHER_SECONDS:g} s"
            ) from None

    def run(self) -> GradingResult:
        try:
            sandbox: _Sandbox | None = self._start_sandbox()
        except _LoadFailed as failure:
            return self._result(failure.status, [], prepared=time.monotonic(), message=str(failure))
        prepared = time.monotonic()
        results: list[TestResult] = []
        cases = list(self.exercise.cases)
        suite = self.exercise.suite
        self.modules = suite.instantiate() if suite is not None else {}
        self.runner = asyncio.Runner()
        try:
            for index, case in enumerate(cases):
                if self.remaining() <= 0:
                    results.extend(_not_run(cases[index:], "the submission's time ran out"))
                    break
                if sandbox is not None and not sandbox.fresh and not self._reset(sandbox):
                    self._stop(sandbox)
                    sandbox = None
                if sandbox is None:
                    try:
                        sandbox = self._start_sandbox()
                    except _LoadFailed as failure:
                        results.append(_not_run([case], str(failure), failure.status)[0])
                        continue
                sandbox.fresh = False
                result, healthy = self._run_case(case, sandbox.session)
                results.append(result)
                if not healthy:
                    self._stop(sandbox)
                    sandbox = None
        finally:
            self.runner.close()
            if sandbox is not None:
                self._stop(sandbox, polite=True)
        return self._result(None, results, prepared=prepared)

    # -- sandboxes ----------------------------------------------------------------------------

    def _start_sandbox(self) -> _Sandbox:
        from grader.sandbox import SandboxError, SubmissionFilesError

        budget = self.remaining()
        if budget <= 0:
            raise _LoadFailed(Status.TIMEOUT, "the submission's time ran out")
        try:
            process = self._on_loop(self._spawn(budget))
        except SubmissionFilesError as error:
            message = f"the submission's files were refused: {error}"
            raise _LoadFailed(Status.ERROR, message) from None
        except SandboxError as error:
            raise GraderFailure(f"the sandbox could not be started: {error}") from error
        self.isolation = str(getattr(process.isolation, "value", process.isolation))
        sandbox = _Sandbox(process, Session(_take_socket(process.channel)))
        timeout = min(self.exercise.limits.test_seconds, budget)
        try:
            answer = sandbox.session.request(
                "import", {"modules": list(self.exercise.modules)}, timeout
            )
        except TimeoutError:
            self._stop(sandbox)
            raise _LoadFailed(
                Status.TIMEOUT, f"importing your code did not finish within {timeout:g} s"
            ) from None
        except SandboxUnavailable:
            exit_info = self._stop(sandbox)
            raise _LoadFailed(
                Status.ERROR, f"your code ended the sandbox while it was imported ({exit_info})"
            ) from None
        failure = self._import_failure(sandbox.session, answer)
        if failure is not None:
            self._stop(sandbox)
            raise _LoadFailed(Status.ERROR, failure)
        return sandbox

    async def _spawn(self, budget: float) -> SandboxedProcessLike:
        return await self.launcher.spawn(self.files, sandbox_limits(self.exercise, budget + 1.0))

    def _import_failure(self, session: Session, answer: dict[str, Any]) -> str | None:
        if not answer["ok"]:
            error = to_trusted_exception(answer["error"], lambda _: None)
            kind = getattr(error, "remote_type", type(error).__name__)
            return f"importing your code raised {kind}: {error}"
        try:
            modules, attributes = session.decode(answer["value"])
            if not isinstance(modules, dict) or set(modules) != set(self.exercise.modules):
                raise ValueError
            if not all(isinstance(ref, RemoteRef) for ref in modules.values()):
                raise ValueError
            for owner, name, value in attributes:
                session.remember(owner, name, value)
        except Exception:
            return "the sandbox answered the import with something unexpected"
        session.modules = modules
        return None

    def _reset(self, sandbox: _Sandbox) -> bool:
        try:
            answer = sandbox.session.request("reset", {}, min(_RESET_SECONDS, self.remaining()))
        except (TimeoutError, SandboxUnavailable):
            return False
        return answer.get("ok") is True

    def _stop(self, sandbox: _Sandbox, *, polite: bool = False) -> str:
        if polite and sandbox.session.broken is None:
            try:
                sandbox.session.request("bye", {}, _BYE_SECONDS)
            except (TimeoutError, SandboxUnavailable):
                pass
        sandbox.session.close()
        try:
            exit_status = self._on_loop(self._kill(sandbox.process))
        except Exception as error:
            return f"the sandbox could not be stopped cleanly: {error}"
        self._collect_output(exit_status)
        return _describe_exit(exit_status)

    @staticmethod
    async def _kill(process: SandboxedProcessLike) -> Any:
        try:
            return await process.kill()
        finally:
            close = getattr(process.channel, "close", None)
            if close is not None:
                try:
                    await close()
                except Exception:
                    pass

    def _collect_output(self, exit_status: Any) -> None:
        self.stdout.append(bytes(getattr(exit_status, "stdout", b"")).decode("utf-8", "replace"))
        self.stderr.append(bytes(getattr(exit_status, "stderr", b"")).decode("utf-8", "replace"))
        if getattr(exit_status, "stdout_truncated", False) or getattr(
            exit_status, "stderr_truncated", False
        ):
            self.truncated = True

    # -- cases --------------------------------------------------------------------------------

    def _run_case(self, case: TestCase, session: Session) -> tuple[TestResult, bool]:
        timeout = min(case.timeout or self.exercise.limits.test_seconds, self.remaining())
        context = TestContext(session, time.monotonic() + timeout, timeout)
        result = run_case(case, context, self.runner, self.modules.get(case.file))
        healthy = context.failure is None and session.broken is None
        return result, healthy

    # -- the verdict --------------------------------------------------------------------------

    def _result(
        self,
        load_status: Status | None,
        tests: Sequence[TestResult],
        *,
        prepared: float,
        message: str | None = None,
    ) -> GradingResult:
        finished = time.monotonic()
        score = sum(test.points for test in tests)
        if load_status is not None:
            status = load_status
        elif any(test.status is Status.TIMEOUT for test in tests):
            status = Status.TIMEOUT
        elif tests and all(test.status is Status.PASS for test in tests):
            status = Status.PASS
        else:
            status = Status.FAIL
        stdout, stderr = "".join(self.stdout), "".join(self.stderr)
        truncated = self.truncated or len(stdout) > _OUTPUT_CHARS or len(stderr) > _OUTPUT_CHARS
        return GradingResult(
            exercise=self.exercise.id,
            status=status,
            score=round(score, 6),
            max_score=round(self.exercise.max_score, 6),
            tests=tuple(tests),
            timings=Timings(
                prepare_ms=(prepared - self.started) * 1000,
                run_ms=(finished - prepared) * 1000,
                total_ms=(finished - self.started) * 1000,
            ),
            isolation=self.isolation,
            message=message,
            output=CapturedOutput(stdout[:_OUTPUT_CHARS], stderr[:_OUTPUT_CHARS], truncated),
        )


def _not_run(
    cases: Sequence[TestCase], why: str, status: Status = Status.TIMEOUT
) -> list[TestResult]:
    return [
        TestResult(
            name=case.name, task=case.task, visibility=case.visibility, status=status,
            points=0.0, max_points=case.max_points, message=f"not run: {why}",
        )
        for case in cases
    ]


def _describe_exit(exit_status: Any) -> str:
    if getattr(exit_status, "timed_out", False):
        return "it ran out of time"
    signal = getattr(exit_status, "signal", None)
    if signal:
        return f"killed by signal {signal}"
    code = getattr(exit_status, "returncode", None)
    return f"exit code {code}" if code is not None else "it stopped"
