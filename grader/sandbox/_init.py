"""The sandbox's first process: finishes isolation, drops privileges, runs the entry.

With namespaces it is pid 1 of a fresh pid namespace, so when it exits the kernel kills every
process the learner's code started. The order matters: build the root while still root of
the user namespace, then take the learner's identity and drop every capability, then place
the submitted files (owned by the learner), then the rlimits and the seccomp filter, then
close every fd but the channel, then the learner's code.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import importlib
import inspect
import io
import json
import os
import resource
import select
import signal
import socket
import struct
import sys
import traceback
from collections.abc import Callable, Mapping

from grader.sandbox import _linux, _seccomp
from grader.sandbox._rootfs import SCRATCH, enter_minimal_root, mount_private_dirs
from grader.sandbox._spec import ChildFds, SpawnSpec
from grader.sandbox._types import Isolation, Limits

CHANNEL_FD = 3  # where the entry finds its channel
LEARNER_UID = LEARNER_GID = 1000  # inside the user namespace
NOBODY = 65534  # the learner's host uid when the grader runs as root
SETUP_FAILED = 125

_SIOCGIFFLAGS = 0x8913
_SIOCSIFFLAGS = 0x8914
_IFF_UP = 0x1
_ENV_BASE = {
    "PATH": "/usr/local/bin:/usr/bin:/bin",
    "LANG": "C.UTF-8",
    "LC_ALL": "C.UTF-8",
    "PYTHONDONTWRITEBYTECODE": "1",
    "USER": "learner",
}


def fixed_environment(home: str) -> dict[str, str]:
    """The whole environment a sandbox sees: nothing from the grader's."""
    return {**_ENV_BASE, "HOME": home, "TMPDIR": "/tmp" if home == SCRATCH else home}


def _parent_gone(alive_fd: int) -> bool:
    # The monitor holds the pipe's write end; a hang-up means it died before PDEATHSIG was set.
    poller = select.poll()
    poller.register(alive_fd, select.POLLIN | select.POLLHUP)
    return bool(poller.poll(0))


def _die_with_parent(alive_fd: int) -> None:
    _linux.prctl(_linux.PR_SET_PDEATHSIG, signal.SIGKILL)
    if _parent_gone(alive_fd):
        os._exit(SETUP_FAILED)


def _bring_up_loopback() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        request = struct.pack("16sH22x", b"lo", 0)
        flags = struct.unpack("16sH22x", fcntl.ioctl(sock, _SIOCGIFFLAGS, request))[1]
        fcntl.ioctl(sock, _SIOCSIFFLAGS, struct.pack("16sH22x", b"lo", flags | _IFF_UP))


def _take_learner_identity(uid: int, gid: int, *, may_set_groups: bool) -> None:
    if may_set_groups:
        # Refused where an enclosing user namespace denies setgroups (rootless containers);
        # the groups kept then only matter for files of the read-only minimal root.
        with contextlib.suppress(PermissionError):
            os.setgroups([])
    os.setresgid(gid, gid, gid)
    os.setresuid(uid, uid, uid)
    _linux.drop_all_capabilities()


def _write_files(files: Mapping[str, bytes]) -> None:
    for name, body in files.items():
        directory = os.path.dirname(name)
        if directory:
            os.makedirs(directory, exist_ok=True)
        with open(name, "wb") as stream:
            stream.write(body)


def _apply_rlimits(limits: Limits) -> None:
    for which, value in (
        (resource.RLIMIT_CPU, limits.cpu_seconds),
        (resource.RLIMIT_AS, limits.memory_bytes),
        (resource.RLIMIT_NPROC, limits.max_processes),
        (resource.RLIMIT_FSIZE, limits.file_size_bytes),
        (resource.RLIMIT_NOFILE, limits.open_files),
        (resource.RLIMIT_CORE, 0),
    ):
        resource.setrlimit(which, (value, value))


def _place_stdio(stdout_fd: int, stderr_fd: int, channel_fd: int) -> None:
    """Stdio onto 0-2, the channel onto 3, every other descriptor closed."""
    high = [fcntl.fcntl(fd, fcntl.F_DUPFD, 64) for fd in (stdout_fd, stderr_fd, channel_fd)]
    null = os.open(os.devnull, os.O_RDWR)
    os.dup2(null, 0)
    os.dup2(high[0], 1)
    os.dup2(high[1], 2)
    os.dup2(high[2], CHANNEL_FD, inheritable=False)
    os.closerange(CHANNEL_FD + 1, resource.getrlimit(resource.RLIMIT_NOFILE)[0])
    # Unbuffered, as on a terminal: what was printed before a kill is in the captured output.
    for name, fd in (("stdout", 1), ("stderr", 2)):
        stream = io.TextIOWrapper(io.FileIO(fd, "w", closefd=False), encoding="utf-8",
                                  errors="backslashreplace", write_through=True)
        setattr(sys, name, stream)


def _restore_default_signals() -> None:
    for signum in (signal.SIGTERM, signal.SIGHUP, signal.SIGCHLD, signal.SIGQUIT):
        signal.signal(signum, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)


def _run_entry(entry: str) -> int:
    """Call `module:function(channel_fd)`; an awaitable result is run to completion."""
    try:
        module_name, _, function_name = entry.partition(":")
        function = getattr(importlib.import_module(module_name), function_name)
        result = function(CHANNEL_FD)
        if inspect.isawaitable(result):
            asyncio.run(result)  # type: ignore[arg-type]
        return 0
    except SystemExit as exc:
        if exc.code is None or isinstance(exc.code, int):
            return exc.code or 0
        print(exc.code, file=sys.stderr)
        return 1
    except BaseException:
        traceback.print_exc()
        return 1
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()


def describe_failure(exc: BaseException) -> str:
    """The error and the setup step that raised it, for the grader's operator."""
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" (in {frames[-1].name})" if frames else ""
    return f"{type(exc).__name__}: {exc}{where}"


SpecSource = Callable[[], tuple[SpawnSpec, ChildFds] | None]


def receive_spawn(sock: socket.socket) -> tuple[SpawnSpec, ChildFds] | None:
    """The spec and descriptors handed to a spare sandbox; None if its monitor is gone."""
    try:
        data, fds, _, _ = socket.recv_fds(sock, 64, 5)
    except OSError:
        return None
    finally:
        sock.close()
    if data != b"spawn" or len(fds) != 5:
        for fd in fds:
            os.close(fd)
        return None
    child = ChildFds.from_list(fds)
    return SpawnSpec.from_fd(child.spec), child


def run_init(*, isolation: Isolation, expose: tuple[str, ...], obtain: SpecSource,
             alive_fd: int, scratch: str | None, privileged: bool, template_ready: bool) -> int:
    """Isolate this process, obtain the submission, run the entry; returns the exit code.

    Everything that does not depend on the submission happens before `obtain()`, which for
    a spare sandbox blocks until a spawn request arrives. Setup failures are written to the
    status pipe (closed before any learner code runs, so the learner cannot write there)
    and end the process with `SETUP_FAILED`.
    """
    _die_with_parent(alive_fd)
    os.setsid()
    early_failure: BaseException | None = None
    try:
        if isolation is Isolation.NAMESPACES:
            enter_minimal_root(expose, uid=LEARNER_UID, gid=LEARNER_GID,
                               template_ready=template_ready)
            socket.sethostname("sandbox")
            _bring_up_loopback()
    except BaseException as exc:
        early_failure = exc
    obtained = obtain()
    if obtained is None:
        return SETUP_FAILED
    spec, fds = obtained
    try:
        if early_failure is not None:
            raise early_failure
        if isolation is Isolation.NAMESPACES:
            mount_private_dirs(spec.limits.scratch_bytes, uid=LEARNER_UID, gid=LEARNER_GID,
                               expose=expose)
            _take_learner_identity(LEARNER_UID, LEARNER_GID, may_set_groups=privileged)
            home = SCRATCH
        else:
            assert scratch is not None
            if privileged:
                _take_learner_identity(NOBODY, NOBODY, may_set_groups=True)
            home = scratch
        # A change of credentials clears the parent-death signal: set it again.
        _die_with_parent(alive_fd)
        _linux.prctl(_linux.PR_SET_NO_NEW_PRIVS, 1)
        os.chdir(home)
        _write_files(spec.files)
        os.environ.clear()
        os.environ.update(fixed_environment(home))
        sys.path[:] = [home, *(p for p in sys.path if p not in ("", "/"))]
        sys.dont_write_bytecode = True  # (no stale import caches: /scratch is new to sys.path)
        _restore_default_signals()
        _apply_rlimits(spec.limits)
        if _seccomp.supported():
            _seccomp.install()
        _place_stdio(fds.stdout, fds.stderr, fds.channel)
    except BaseException as exc:
        message = json.dumps({"setup_error": describe_failure(exc)})
        with contextlib.suppress(OSError):
            os.write(fds.status, (message + "\n").encode())
        return SETUP_FAILED
    return _run_entry(spec.entry)
