"""Spawning sandboxes: the launcher, its warm zygote, and the handle of one sandboxed run.

`SandboxLauncher.spawn` prepares the pipes and the channel, asks the zygote to fork a monitor
(or starts a cold one), and returns a `SandboxedProcess` whose wall-clock deadline is already
running. A dead zygote is restarted on the next spawn; one that cannot start leaves the
launcher on the cold path, with identical isolation.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from types import TracebackType

from grader.sandbox._capture import CappedPipe
from grader.sandbox._errors import ChannelError, SandboxError, SandboxSetupError, ZygoteError
from grader.sandbox._runtime import runtime_paths
from grader.sandbox._spec import ChildFds, SpawnSpec, check_files
from grader.sandbox._types import Isolation, Limits, SandboxExit
from grader.sandbox.channel import Channel

logger = logging.getLogger(__name__)

ISOLATION_ENV = "ACADEMY_SANDBOX_ISOLATION"
DEFAULT_ENTRY = "grader.engine.agent:serve"
_ZYGOTE_REPLY_SECONDS = 10.0
_KILL_GRACE_SECONDS = 2.0  # SIGTERM lets the monitor tear the sandbox down; then SIGKILL
_OUTPUT_GRACE_SECONDS = 0.5  # after the monitor exits, how long stragglers may hold stdout
_STATUS_CAP = 64 * 1024


def _launch_environment() -> dict[str, str]:
    """The environment of the zygote and cold children: none of the grader's variables."""
    return {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8"}


def _forced_isolation() -> Isolation | None:
    forced = os.environ.get(ISOLATION_ENV)
    if not forced:
        return None
    try:
        return Isolation(forced)
    except ValueError:
        raise SandboxError(f"{ISOLATION_ENV}={forced!r}: expected one of "
                           f"{', '.join(level.value for level in Isolation)}") from None


def _python_command(module: str, *args: str) -> list[str]:
    return [sys.executable, "-I", "-m", module, *args]


async def _readable(fd: int, within: float | None = None) -> None:
    loop = asyncio.get_running_loop()
    ready = loop.create_future()
    loop.add_reader(fd, lambda: ready.done() or ready.set_result(None))
    try:
        await asyncio.wait_for(ready, within)
    finally:
        loop.remove_reader(fd)


def _parse_status(raw: bytes) -> tuple[int | None, int | None, bool]:
    """The monitor's verdict: exit code, signal, and whether the end was asked for.

    No verdict at all means the monitor itself was killed, which only the launcher does."""
    returncode: int | None = None
    killed_by: int | None = signal.SIGKILL
    stopped = True
    for line in raw.decode("utf-8", "replace").splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            raise SandboxError(f"the monitor's status report is garbled: {line!r}") from None
        if "setup_error" in record:
            raise SandboxSetupError(f"the sandbox could not be built: {record['setup_error']}")
        if "returncode" in record:
            returncode, killed_by = int(record["returncode"]), None
        elif "signal" in record:
            returncode, killed_by = None, int(record["signal"])
        stopped = bool(record.get("stopped"))
    return returncode, killed_by, stopped


class SandboxedProcess:
    """One sandboxed run: its channel, and the means to wait for or end it.

    The wall-clock limit starts at spawn; when it passes, the whole process tree is killed
    and `wait()` reports `timed_out=True`. Use as an async context manager to be sure the
    run is ended and the channel closed.
    """

    def __init__(self, *, pid: int, pidfd: int, channel: Channel, isolation: Isolation,
                 limits: Limits, status: CappedPipe, stdout: CappedPipe, stderr: CappedPipe,
                 started: float, popen: subprocess.Popen[bytes] | None = None) -> None:
        self.pid = pid  # the monitor's pid on the host (outside the sandbox)
        self.channel = channel
        self.isolation = isolation
        self._pidfd = pidfd
        self._limits = limits
        self._status, self._stdout, self._stderr = status, stdout, stderr
        self._started = started
        self._popen = popen
        self._timed_out = False
        self._exited = False
        loop = asyncio.get_running_loop()
        self._deadline = loop.call_later(limits.wall_seconds, self._on_deadline)
        self._escalation: asyncio.TimerHandle | None = None
        self._result = asyncio.ensure_future(self._collect())

    async def wait(self) -> SandboxExit:
        """How the run ended: after the entry returned, the process died, or the deadline."""
        return await asyncio.shield(self._result)

    async def kill(self) -> SandboxExit:
        """End the run and every process in it now; harmless after it has ended."""
        self._terminate()
        return await self.wait()

    async def __aenter__(self) -> SandboxedProcess:
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> None:
        with contextlib.suppress(SandboxError):
            await self.kill()
        await self.channel.close()

    def _on_deadline(self) -> None:
        self._timed_out = True
        self._terminate()

    def _signal(self, signum: int) -> None:
        if self._exited:
            return
        with contextlib.suppress(ProcessLookupError, OSError):
            signal.pidfd_send_signal(self._pidfd, signum)

    def _terminate(self) -> None:
        if self._exited or self._escalation is not None:
            return
        self._signal(signal.SIGTERM)
        loop = asyncio.get_running_loop()
        self._escalation = loop.call_later(_KILL_GRACE_SECONDS, self._signal, signal.SIGKILL)

    async def _collect(self) -> SandboxExit:
        try:
            status, _ = await self._status.result()
            await _readable(self._pidfd)
            self._exited = True
            if self._popen is not None:
                self._popen.wait()
            stdout, stdout_truncated = await self._stdout.result(_OUTPUT_GRACE_SECONDS)
            stderr, stderr_truncated = await self._stderr.result(_OUTPUT_GRACE_SECONDS)
        finally:
            self._exited = True
            self._deadline.cancel()
            if self._escalation is not None:
                self._escalation.cancel()
            os.close(self._pidfd)
        returncode, killed_by, stopped = _parse_status(status)
        return SandboxExit(
            returncode=returncode, signal=killed_by, timed_out=self._timed_out and stopped,
            stdout=stdout, stderr=stderr, stdout_truncated=stdout_truncated,
            stderr_truncated=stderr_truncated, isolation=self.isolation,
            wall_ms=(time.monotonic() - self._started) * 1000)


class _Zygote:
    """The launcher's handle on one zygote process and its control socket."""

    def __init__(self, popen: subprocess.Popen[bytes], control: socket.socket) -> None:
        self.popen = popen
        self.control = control

    @classmethod
    async def start(cls, preload: Sequence[str], *, template: bool) -> _Zygote:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            # Popen only forks and execs here (no waiting), which costs about a millisecond.
            popen = subprocess.Popen(  # noqa: ASYNC220
                _python_command("grader.sandbox.zygote", str(theirs.fileno()),
                                str(os.getpid()), "template" if template else "no-template",
                                *preload),
                pass_fds=[theirs.fileno()], env=_launch_environment(), cwd="/",
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
        finally:
            theirs.close()
        ours.setblocking(False)
        zygote = cls(popen, ours)
        try:
            reply, _ = await zygote._receive()
        except ZygoteError:
            zygote.stop()
            raise
        if not reply.get("ready"):
            zygote.stop()
            raise ZygoteError(f"the zygote could not preload {list(preload)}: "
                              f"{reply.get('error', reply)}")
        return zygote

    async def _receive(self) -> tuple[dict[str, object], list[int]]:
        deadline = time.monotonic() + _ZYGOTE_REPLY_SECONDS
        while True:
            try:
                data, fds, _, _ = socket.recv_fds(self.control, 4096, 1)
            except BlockingIOError:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise ZygoteError("the zygote did not answer in time") from None
                with contextlib.suppress(TimeoutError):
                    await _readable(self.control.fileno(), remaining)
                continue
            except OSError as exc:
                raise ZygoteError(f"the zygote's control socket broke: {exc}") from None
            if not data:
                raise ZygoteError("the zygote exited")
            return json.loads(data), fds

    async def spawn(self, fds: ChildFds, isolation: Isolation) -> tuple[int, int]:
        """Ask for one monitor; returns its pid and a pidfd for it."""
        request = json.dumps({"op": "spawn", "isolation": isolation.value}).encode()
        try:
            socket.send_fds(self.control, [request], fds.as_list())
        except OSError as exc:
            raise ZygoteError(f"the zygote is gone: {exc}") from None
        reply, received = await self._receive()
        if "pid" not in reply or len(received) != 1:
            for fd in received:
                os.close(fd)
            raise ZygoteError(f"the zygote refused to spawn: {reply}")
        return int(reply["pid"]), received[0]  # type: ignore[call-overload]

    def stop(self) -> None:
        self.control.close()
        with contextlib.suppress(ProcessLookupError):
            self.popen.kill()
        self.popen.wait()


class SandboxLauncher:
    """Spawns sandboxes; owns one warm zygote. One per grading worker process."""

    def __init__(self, preload: Sequence[str] = ("otp", "grader.engine.agent"), *,
                 cold: bool = False) -> None:
        self.preload = tuple(preload)
        self.cold = cold
        self.isolation = Isolation.RLIMITS_ONLY
        self._expose = runtime_paths(self.preload)
        self._zygote: _Zygote | None = None
        self._zygote_failure: str | None = None
        self._lock = asyncio.Lock()
        self._starting: asyncio.Future[None] | None = None

    @property
    def zygote_pid(self) -> int | None:
        return None if self._zygote is None else self._zygote.popen.pid

    async def start(self) -> None:
        """Start the zygote (unless cold) and settle the isolation level this host allows.

        Idempotent, and safe to race: concurrent first spawns all wait for the one start.
        """
        if self._starting is None:
            self._starting = asyncio.ensure_future(self._start())
        if not self._starting.done():
            await asyncio.shield(self._starting)
        self._starting.result()

    async def _start(self) -> None:
        if not sys.platform.startswith("linux"):
            raise SandboxError(
                f"grader.sandbox runs on Linux only; this is {sys.platform}. Grade in a Linux "
                "VM or container (rlimits-only mode for other systems is not implemented).")
        if not self.cold:
            await self._ensure_zygote()
        self.isolation = await self._detect_isolation()

    async def close(self) -> None:
        """Stop the zygote; sandboxes it forked die with it (cold ones run to their end)."""
        if self._zygote is not None:
            self._zygote.stop()
            self._zygote = None

    async def __aenter__(self) -> SandboxLauncher:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def spawn(self, files: Mapping[str, bytes], limits: Limits | None = None,
                    entry: str = DEFAULT_ENTRY, *, cold: bool | None = None) -> SandboxedProcess:
        """Start `entry(channel_fd)` in a fresh sandbox whose cwd holds `files`.

        Warm through the zygote unless `cold` (or the launcher's `cold`); a zygote found dead
        is restarted, and if that fails too the spawn goes cold.
        """
        await self.start()
        limits = limits or Limits()
        check_files(files, limits)
        spec = SpawnSpec(files=dict(files), limits=limits, entry=entry,
                         isolation=self.isolation, expose=self._expose)
        return await self._spawn(spec, self.cold if cold is None else cold)

    async def _spawn(self, spec: SpawnSpec, cold: bool) -> SandboxedProcess:
        for _attempt in range(0 if cold else 2):  # a dead zygote is restarted once
            if not await self._ensure_zygote():
                break
            try:
                return await self._start_monitor(spec, warm=True)
            except ZygoteError as exc:
                logger.warning("sandbox zygote failed, restarting it: %s", exc)
                if self._zygote is not None:
                    self._zygote.stop()
                    self._zygote = None
        return await self._start_monitor(spec, warm=False)

    async def _start_monitor(self, spec: SpawnSpec, *, warm: bool) -> SandboxedProcess:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        out_read, out_write = os.pipe()
        err_read, err_write = os.pipe()
        status_read, status_write = os.pipe()
        child = ChildFds(spec=spec.to_memfd(), channel=theirs.fileno(), stdout=out_write,
                         stderr=err_write, status=status_write)
        started = time.monotonic()
        popen = None
        try:
            if warm:
                pid, pidfd = await self._spawn_warm(child, spec.isolation)
            else:
                popen = subprocess.Popen(  # noqa: ASYNC220 (fork+exec only, as above)
                    _python_command("grader.sandbox.child", str(os.getpid()),
                                    *map(str, child.as_list())),
                    pass_fds=child.as_list(), env=_launch_environment(), cwd="/",
                    stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL)
                pid, pidfd = popen.pid, os.pidfd_open(popen.pid)
        except BaseException:
            for fd in (out_read, err_read, status_read):
                os.close(fd)
            ours.close()
            raise
        finally:
            theirs.close()
            for fd in (child.spec, out_write, err_write, status_write):
                os.close(fd)
        pipes = [CappedPipe(status_read, _STATUS_CAP),
                 CappedPipe(out_read, spec.limits.output_bytes),
                 CappedPipe(err_read, spec.limits.output_bytes)]
        for pipe in pipes:
            await pipe.start()
        return SandboxedProcess(
            pid=pid, pidfd=pidfd, channel=await Channel.from_socket(ours),
            isolation=spec.isolation, limits=spec.limits, status=pipes[0], stdout=pipes[1],
            stderr=pipes[2], started=started, popen=popen)

    async def _spawn_warm(self, child: ChildFds, isolation: Isolation) -> tuple[int, int]:
        async with self._lock:  # one request and its reply at a time on the control socket
            assert self._zygote is not None
            return await self._zygote.spawn(child, isolation)

    async def _ensure_zygote(self) -> bool:
        if self._zygote is not None and self._zygote.popen.poll() is None:
            return True
        if self._zygote is not None:
            self._zygote.stop()
            self._zygote = None
        try:
            self._zygote = await _Zygote.start(
                self.preload, template=_forced_isolation() is not Isolation.RLIMITS_ONLY)
        except ZygoteError as exc:
            if self._zygote_failure is None:
                logger.warning("sandbox zygote unavailable, using cold starts: %s", exc)
            self._zygote_failure = str(exc)
            return False
        return True

    async def _detect_isolation(self) -> Isolation:
        forced = _forced_isolation()
        if forced is not None:
            return forced
        probe = SpawnSpec(files={}, limits=Limits(wall_seconds=10),
                          entry="grader.sandbox._probe:ready", isolation=Isolation.NAMESPACES,
                          expose=self._expose)
        try:
            process = await self._spawn(probe, self.cold)
            async with process:
                try:
                    await process.channel.recv(timeout=10)
                except ChannelError:
                    await process.wait()  # raises the monitor's account of what failed
                    raise
            return Isolation.NAMESPACES
        except SandboxError as exc:
            logger.warning("Linux namespaces unavailable, sandboxes get rlimits only "
                           "(REDUCED isolation): %s", exc)
            return Isolation.RLIMITS_ONLY
