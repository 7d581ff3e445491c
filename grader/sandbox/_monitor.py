"""The monitor: the trusted process between the launcher side and the sandbox.

Forked by the zygote (warm path) or started as `python -m grader.sandbox.child` (cold path),
it creates the namespaces, forks the sandbox's first process (`_init`), waits for it and
writes how it ended to the status pipe, then exits. A *spare* monitor (`run_spare_monitor`)
does the same ahead of time and receives the spawn's descriptors only when the zygote hands
it a request. It never runs learner code, so what it
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
import socket
import tempfile
from dataclasses import dataclass
from typing import NoReturn

from grader.sandbox import _linux
from grader.sandbox._init import (
    LEARNER_GID,
    LEARNER_UID,
    NOBODY,
    SETUP_FAILED,
    SpecSource,
    describe_failure,
    receive_spawn,
    run_init,
)
from grader.sandbox._spec import ChildFds, SpawnSpec
from grader.sandbox._types import Isolation


class _State:
    init_pid: int | None = None
    alive_fd: int | None = None  # held open while the monitor lives; init watches it
    kill_requested = False
    stopped = False  # the sandbox was killed on request (SIGTERM), not ended by itself
    rlimits_only = False


def _kill_sandbox(state: type[_State]) -> None:
    state.stopped = True
    pid = state.init_pid
    if pid is None:
        state.kill_requested = True
        return
    with contextlib.suppress(ProcessLookupError):
        if state.rlimits_only:
            os.killpg(pid, signal.SIGKILL)
        else:
            os.kill(pid, signal.SIGKILL)


def write_id_maps(pid: int) -> None:
    """Map the ids of `pid`'s fresh user namespace; needs CAP_SETUID in the parent namespace.

    Only such a process may map more than one id: ns-root becomes our own uid (to build the
    root from root-only paths such as a Python under /root) and the learner's uid becomes
    `nobody`, so nothing the learner runs is root on the host. Where `nobody` is not mapped
    in our own namespace (a grader that is root of a user namespace, as in rootless
    containers), the learner's uid is mapped to our own uid instead, like an unprivileged
    grader's.
    """
    for kind, own in (("uid", os.geteuid()), ("gid", os.getegid())):
        try:
            _write_map(pid, kind, f"0 {own} 1\n{LEARNER_UID} {NOBODY} 1\n")
        except OSError:
            _write_map(pid, kind, f"{LEARNER_UID} {own} 1\n")


def _write_map(pid: int, kind: str, text: str) -> None:
    with open(f"/proc/{pid}/{kind}_map", "w") as stream:
        stream.write(text)


@dataclass(frozen=True)
class IdMapPipes:
    """How a monitor asks its privileged parent (the zygote) to write its id maps."""

    unshared: int  # the monitor writes b"u" here once it has unshared
    mapped: int  # and reads b"m" here once the parent has written the maps


def _map_own_ids() -> None:
    euid, egid = os.geteuid(), os.getegid()
    _linux.unshare(_linux.ALL_NAMESPACES)
    with open("/proc/self/setgroups", "w") as stream:
        stream.write("deny")
    with open("/proc/self/uid_map", "w") as stream:
        stream.write(f"{LEARNER_UID} {euid} 1\n")
    with open("/proc/self/gid_map", "w") as stream:
        stream.write(f"{LEARNER_GID} {egid} 1\n")


def _unshare_mapped_by(pipes: IdMapPipes) -> None:
    try:
        _linux.unshare(_linux.ALL_NAMESPACES)
        os.write(pipes.unshared, b"u")
        if os.read(pipes.mapped, 1) != b"m":
            raise OSError("the parent did not write the sandbox's uid/gid maps")
    finally:
        os.close(pipes.unshared)
        os.close(pipes.mapped)


def _unshare_mapped_by_helper() -> None:
    # Without a privileged parent to ask (the cold path), a short-lived child maps for us.
    unshared_read, unshared_write = os.pipe()
    mapped_read, mapped_write = os.pipe()
    me = os.getpid()
    helper = os.fork()
    if helper == 0:
        code = 1
        try:
            os.close(unshared_write)
            os.close(mapped_read)
            if os.read(unshared_read, 1) == b"u":
                write_id_maps(me)
                os.write(mapped_write, b"m")
                code = 0
        finally:
            os._exit(code)
    os.close(unshared_read)
    os.close(mapped_write)
    try:
        _unshare_mapped_by(IdMapPipes(unshared=unshared_write, mapped=mapped_read))
    finally:
        os.waitpid(helper, 0)


def _enter_namespaces(privileged: bool, parent_maps: IdMapPipes | None) -> None:
    if not privileged:
        _map_own_ids()
    elif parent_maps is not None:
        _unshare_mapped_by(parent_maps)
    else:
        _unshare_mapped_by_helper()


def _move_high(fds: list[int], keep_too: tuple[int, ...]) -> list[int]:
    """Renumber `fds` above stdio and close every other inherited descriptor."""
    moved = [fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10) for fd in fds]
    keep = {*moved, *keep_too}
    for entry in os.listdir("/proc/self/fd"):
        fd = int(entry)
        if fd > 2 and fd not in keep:
            with contextlib.suppress(OSError):
                os.close(fd)
    return moved


def _report(status_fd: int, record: dict[str, object]) -> None:
    with contextlib.suppress(OSError):
        os.write(status_fd, (json.dumps(record) + "\n").encode())


def _become_monitor(parent_pid: int) -> bool:
    _linux.prctl(_linux.PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent_pid:
        return False
    os.setsid()
    null = os.open(os.devnull, os.O_RDWR)
    for target in (0, 1, 2):
        os.dup2(null, target)
    os.close(null)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, lambda *_: _kill_sandbox(_State))
    return True


def _fork_init(obtain: SpecSource, *, isolation: Isolation, expose: tuple[str, ...],
               scratch: str | None, privileged: bool, template_ready: bool) -> int:
    """Fork the sandbox's first process; returns the read end M holds for its liveness."""
    alive_read, alive_write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(alive_write)
        code = SETUP_FAILED
        try:
            code = run_init(isolation=isolation, expose=expose, obtain=obtain,
                            alive_fd=alive_read, scratch=scratch, privileged=privileged,
                            template_ready=template_ready)
        finally:
            os._exit(code)
    os.close(alive_read)
    _State.init_pid = pid
    _State.alive_fd = alive_write
    if _State.kill_requested:
        _kill_sandbox(_State)
    return pid


def _wait_and_report(pid: int, status_fd: int, scratch: str | None) -> None:
    _, status = os.waitpid(pid, 0)
    if _State.rlimits_only:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)
    if os.WIFSIGNALED(status):
        _report(status_fd, {"signal": os.WTERMSIG(status), "stopped": _State.stopped})
    else:
        _report(status_fd, {"returncode": os.WEXITSTATUS(status), "stopped": _State.stopped})


def _monitor(listed: list[int], parent_pid: int, parent_maps: IdMapPipes | None,
             template_ready: bool) -> None:
    if not _become_monitor(parent_pid):
        return
    keep = () if parent_maps is None else (parent_maps.unshared, parent_maps.mapped)
    fds = ChildFds.from_list(_move_high(listed, keep))
    spec = SpawnSpec.from_fd(fds.spec)
    privileged = os.geteuid() == 0
    if parent_maps is not None and not (privileged and spec.isolation is Isolation.NAMESPACES):
        os.close(parent_maps.unshared)  # the parent reads EOF: no maps to write
        os.close(parent_maps.mapped)
        parent_maps = None
    scratch: str | None = None
    try:
        if spec.isolation is Isolation.NAMESPACES:
            _enter_namespaces(privileged, parent_maps)
        else:
            _State.rlimits_only = True
            scratch = tempfile.mkdtemp(prefix="academy-sandbox-")
            if privileged:
                try:
                    os.chown(scratch, NOBODY, NOBODY)
                except OSError:  # `nobody` is not mapped here: stay the grader's uid
                    privileged = False
    except OSError as exc:
        _report(fds.status, {"setup_error": describe_failure(exc)})
        return
    if _State.kill_requested:
        _report(fds.status, {"signal": signal.SIGKILL, "stopped": True})
        return
    pid = _fork_init(lambda: (spec, fds), isolation=spec.isolation, expose=spec.expose,
                     scratch=scratch, privileged=privileged, template_ready=template_ready)
    for fd in (fds.channel, fds.stdout, fds.stderr):
        os.close(fd)
    _wait_and_report(pid, fds.status, scratch)


def _spare_monitor(handover: int, parent_pid: int, parent_maps: IdMapPipes | None,
                   expose: tuple[str, ...], template_ready: bool) -> None:
    """A monitor built ahead of any request: namespaces made and the root entered before
    the spawn's descriptors arrive on `handover` (they are passed on to init unread)."""
    if not _become_monitor(parent_pid):
        return
    keep = (handover,) if parent_maps is None else (handover, parent_maps.unshared,
                                                     parent_maps.mapped)
    _move_high([], keep)
    _enter_namespaces(os.geteuid() == 0, parent_maps)
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    pid = _fork_init(lambda: receive_spawn(theirs), isolation=Isolation.NAMESPACES,
                     expose=expose, scratch=None, privileged=os.geteuid() == 0,
                     template_ready=template_ready)
    theirs.close()
    with socket.socket(fileno=handover) as source:
        try:
            data, received, _, _ = socket.recv_fds(source, 64, 5)
        except OSError:
            data, received = b"", []
    if data != b"spawn" or len(received) != 5:
        _kill_sandbox(_State)
        os.waitpid(pid, 0)
        return
    fds = ChildFds.from_list(received)
    socket.send_fds(ours, [b"spawn"], received)
    ours.close()
    for fd in (fds.spec, fds.channel, fds.stdout, fds.stderr):
        os.close(fd)
    _wait_and_report(pid, fds.status, None)


def run_monitor(fds: list[int], parent_pid: int, parent_maps: IdMapPipes | None = None,
                template_ready: bool = False) -> NoReturn:
    """The monitor's whole life; never returns to the caller (the zygote's loop).

    `fds` are a spawn's descriptors (`ChildFds` order). `parent_maps` is given when the
    parent is privileged and will write the id maps itself (the zygote does, saving a fork
    per spawn); otherwise a helper process does it. `template_ready` says the parent's mount
    namespace holds the prebuilt root template.
    """
    try:
        _monitor(fds, parent_pid, parent_maps, template_ready)
    finally:
        os._exit(0)


def run_spare_monitor(handover: int, parent_pid: int, parent_maps: IdMapPipes | None,
                      expose: tuple[str, ...], template_ready: bool) -> NoReturn:
    """A spare's whole life: isolate first, then wait on `handover` for a spawn."""
    try:
        _spare_monitor(handover, parent_pid, parent_maps, expose, template_ready)
    finally:
        os._exit(0)
