"""The monitor: the trusted process between the launcher side and the sandbox.

Forked by the zygote (warm path) or started as `python -m grader.sandbox.child` (cold path),
it creates the namespaces, forks the sandbox's first process (`_init`), waits for it and
writes how it ended to the status pipe, then exits. It never runs learner code, so what it
writes can be trusted; the sandbox cannot reach it (it sits outside the sandbox's pid
namespace). SIGTERM asks it to kill the sandbox: with namespaces, killing pid 1 takes every
descendant with it, and `waitpid` returns only once they are all gone.

    launcher ── zygote ── monitor ── init (pid 1 inside) ── learner's processes
               (PDEATHSIG chain: each dies when the one to its left dies)
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import signal
import tempfile
from dataclasses import dataclass
from typing import NoReturn

from grader.sandbox import _linux
from grader.sandbox._init import LEARNER_GID, LEARNER_UID, NOBODY, SETUP_FAILED, run_init
from grader.sandbox._spec import SpawnSpec
from grader.sandbox._types import Isolation


@dataclass(frozen=True)
class ChildFds:
    """The descriptors a monitor receives; `status` is the only one the launcher trusts."""

    spec: int
    channel: int
    stdout: int
    stderr: int
    status: int

    def as_list(self) -> list[int]:
        return [self.spec, self.channel, self.stdout, self.stderr, self.status]

    @classmethod
    def from_list(cls, fds: list[int]) -> ChildFds:
        return cls(*fds)


class _State:
    init_pid: int | None = None
    kill_requested = False
    rlimits_only = False


def _kill_sandbox(state: type[_State]) -> None:
    pid = state.init_pid
    if pid is None:
        state.kill_requested = True
        return
    with contextlib.suppress(ProcessLookupError):
        if state.rlimits_only:
            os.killpg(pid, signal.SIGKILL)
        else:
            os.kill(pid, signal.SIGKILL)


def _write_id_maps_for(pid: int, go_fd: int) -> NoReturn:
    """Helper process: waits until `pid` has unshared its user namespace, then maps its ids.

    Only a process with CAP_SETUID in the parent namespace may map more than its own uid;
    the map makes ns-root the host's root (to build the root from root-only paths) and the
    learner's uid the host's `nobody`.
    """
    code = 1
    try:
        if os.read(go_fd, 1) == b"x":
            with open(f"/proc/{pid}/uid_map", "w") as stream:
                stream.write(f"0 {os.geteuid()} 1\n{LEARNER_UID} {NOBODY} 1\n")
            with open(f"/proc/{pid}/gid_map", "w") as stream:
                stream.write(f"0 {os.getegid()} 1\n{LEARNER_GID} {NOBODY} 1\n")
            code = 0
    finally:
        os._exit(code)


def _enter_namespaces(privileged: bool) -> None:
    if not privileged:
        euid, egid = os.geteuid(), os.getegid()
        _linux.unshare(_linux.ALL_NAMESPACES)
        with open("/proc/self/setgroups", "w") as stream:
            stream.write("deny")
        with open("/proc/self/uid_map", "w") as stream:
            stream.write(f"{LEARNER_UID} {euid} 1\n")
        with open("/proc/self/gid_map", "w") as stream:
            stream.write(f"{LEARNER_GID} {egid} 1\n")
        return
    go_read, go_write = os.pipe()
    me = os.getpid()
    helper = os.fork()
    if helper == 0:
        os.close(go_write)
        _write_id_maps_for(me, go_read)
    os.close(go_read)
    try:
        _linux.unshare(_linux.ALL_NAMESPACES)
        os.write(go_write, b"x")
    finally:
        os.close(go_write)
        _, status = os.waitpid(helper, 0)
    if status != 0:
        raise OSError("the uid/gid maps of the sandbox's user namespace could not be written")


def _move_high(fds: ChildFds) -> ChildFds:
    moved = ChildFds.from_list([fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
                                for fd in fds.as_list()])
    keep = set(moved.as_list())
    for entry in os.listdir("/proc/self/fd"):
        fd = int(entry)
        if fd > 2 and fd not in keep:
            with contextlib.suppress(OSError):
                os.close(fd)
    return moved


def _report(status_fd: int, record: dict[str, object]) -> None:
    with contextlib.suppress(OSError):
        os.write(status_fd, (json.dumps(record) + "\n").encode())


def _monitor(fds: ChildFds, parent_pid: int) -> None:
    _linux.prctl(_linux.PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent_pid:
        return
    os.setsid()
    fds = _move_high(fds)
    null = os.open(os.devnull, os.O_RDWR)
    for target in (0, 1, 2):
        os.dup2(null, target)
    os.close(null)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, lambda *_: _kill_sandbox(_State))
    spec = SpawnSpec.from_fd(fds.spec)
    privileged = os.geteuid() == 0
    scratch: str | None = None
    try:
        if spec.isolation is Isolation.NAMESPACES:
            _enter_namespaces(privileged)
        else:
            _State.rlimits_only = True
            scratch = tempfile.mkdtemp(prefix="academy-sandbox-")
            if privileged:
                os.chown(scratch, NOBODY, NOBODY)
    except OSError as exc:
        _report(fds.status, {"setup_error": f"{type(exc).__name__}: {exc}"})
        return
    if _State.kill_requested:
        _report(fds.status, {"signal": signal.SIGKILL})
        return
    alive_read, alive_write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(alive_write)
        code = SETUP_FAILED
        try:
            code = run_init(spec, stdout_fd=fds.stdout, stderr_fd=fds.stderr,
                            channel_fd=fds.channel, status_fd=fds.status, alive_fd=alive_read,
                            scratch=scratch, privileged=privileged)
        finally:
            os._exit(code)
    _State.init_pid = pid
    if _State.kill_requested:
        _kill_sandbox(_State)
    for fd in (alive_read, fds.channel, fds.stdout, fds.stderr):
        os.close(fd)
    _, status = os.waitpid(pid, 0)
    if _State.rlimits_only:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)
    if os.WIFSIGNALED(status):
        _report(fds.status, {"signal": os.WTERMSIG(status)})
    else:
        _report(fds.status, {"returncode": os.WEXITSTATUS(status)})
    os.close(alive_write)


def run_monitor(fds: ChildFds, parent_pid: int) -> NoReturn:
    """The monitor's whole life; never returns to the caller (the zygote's loop)."""
    try:
        _monitor(fds, parent_pid)
    finally:
        os._exit(0)
