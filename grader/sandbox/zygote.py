"""The zygote: a single-threaded process that has imported the runtime and forks sandboxes.

`python -I -m grader.sandbox.zygote CONTROL_FD PARENT_PID template|no-template [MODULE ...]`
imports the modules, builds the sandboxes' root template when asked and allowed (see
`_rootfs.build_template`), says it is ready, then serves spawn requests on the control
socket (SOCK_SEQPACKET, one message per request, descriptors passed with SCM_RIGHTS):

    launcher -> zygote   {"op": "spawn", "isolation": level}
                                                    fds: spec, channel, stdout, stderr, status
    zygote -> launcher   {"pid": monitor_pid}       fds: a pidfd of the monitor
    zygote -> launcher   {"ready": true, "pid": n} once, at start; {"error": "..."} on failure

It never reads a spec (the monitor does, after the fork), so no submission's bytes stay in
the memory later sandboxes are forked from. Children are reaped automatically (SIGCHLD is
ignored); the launcher learns of a monitor's exit from its status pipe and its pidfd.
"""

from __future__ import annotations

import gc
import importlib
import json
import os
import select
import signal
import socket
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import NoReturn

from grader.sandbox import _linux
from grader.sandbox._init import LEARNER_GID, LEARNER_UID
from grader.sandbox._monitor import (
    IdMapPipes,
    run_monitor,
    run_spare_monitor,
    write_id_maps,
)
from grader.sandbox._rootfs import build_template
from grader.sandbox._runtime import runtime_paths
from grader.sandbox._types import Isolation

MAX_CONTROL_MESSAGE = 4096
SPAWN_FDS = 5
MAP_REQUEST_SECONDS = 5.0
# Small modules every sandbox entry is likely to import, so no sandbox pays for them.
ALWAYS_PRELOADED = ("grader.sandbox.channel", "grader.sandbox._probe")


def _send(sock: socket.socket, message: dict[str, object], fds: list[int] | None = None) -> None:
    socket.send_fds(sock, [json.dumps(message).encode()], fds or [])


def _preload(modules: list[str]) -> None:
    for module in (*ALWAYS_PRELOADED, *modules):
        importlib.import_module(module)
    if threading.active_count() != 1:
        raise RuntimeError(f"preloading {modules} started threads; a zygote must stay "
                           "single-threaded to fork safely")


def _prepare_root_template(modules: list[str]) -> bool:
    """Build the sandboxes' read-only root once, in a mount namespace of our own (root only)."""
    if os.geteuid() != 0:
        return False
    try:
        _linux.unshare(_linux.CLONE_NEWNS)
        build_template(runtime_paths(modules), uid=LEARNER_UID, gid=LEARNER_GID)
    except OSError as exc:
        print(f"zygote: no root template, each sandbox builds its own: {exc}", file=sys.stderr)
        return False
    return True


@dataclass
class _Spare:
    """A monitor forked and isolated ahead of the next request, waiting on `handover`."""

    pid: int
    pidfd: int
    handover: socket.socket

    def alive(self) -> bool:
        return not select.select([self.pidfd], [], [], 0)[0]

    def take(self, fds: list[int]) -> bool:
        try:
            socket.send_fds(self.handover, [b"spawn"], fds)
            return True
        except OSError:
            return False
        finally:
            self.handover.close()

    def discard(self) -> None:
        self.handover.close()
        os.close(self.pidfd)


def _fork_monitor(control: socket.socket, close_in_child: list[socket.socket],
                  run: Callable[[IdMapPipes], NoReturn]) -> tuple[int, int, tuple[int, int]]:
    """Fork a monitor; returns its pid, a pidfd, and the pipes to answer its map request."""
    unshared_read, unshared_write = os.pipe()
    mapped_read, mapped_write = os.pipe()
    pid = os.fork()
    if pid == 0:
        control.close()
        for sock in close_in_child:
            sock.close()
        os.close(unshared_read)
        os.close(mapped_write)
        run(IdMapPipes(unshared=unshared_write, mapped=mapped_read))
    os.close(unshared_write)
    os.close(mapped_read)
    return pid, os.pidfd_open(pid), (unshared_read, mapped_write)


def _fork_spare(control: socket.socket, expose: tuple[str, ...]) -> _Spare:
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    parent = os.getpid()
    pid, pidfd, maps = _fork_monitor(control, [ours], lambda pipes: run_spare_monitor(
        theirs.fileno(), parent, pipes, expose, template_ready=True))
    theirs.close()
    _map_ids_when_asked(pid, *maps)
    return _Spare(pid, pidfd, ours)


def _serve(control: socket.socket, template_ready: bool, expose: tuple[str, ...]) -> None:
    # Spares need the prebuilt template (root only): then a spawn costs a hand-over.
    keep_spare = template_ready
    spare = _fork_spare(control, expose) if keep_spare else None
    me = os.getpid()
    while True:
        try:
            data, fds, _, _ = socket.recv_fds(control, MAX_CONTROL_MESSAGE, SPAWN_FDS)
        except ConnectionError:
            return
        if not data:
            return
        request = json.loads(data)
        if len(fds) != SPAWN_FDS or request.get("op") != "spawn":
            for fd in fds:
                os.close(fd)
            _send(control, {"error": "malformed spawn request"})
            continue
        maps: tuple[int, int] | None = None
        handed_over = False
        if spare is not None and request.get("isolation") == Isolation.NAMESPACES:
            handed_over = spare.alive() and spare.take(fds)
            if handed_over:
                pid, pidfd = spare.pid, spare.pidfd
            else:
                spare.discard()
            spare = None
        if not handed_over:
            handover = [] if spare is None else [spare.handover]
            pid, pidfd, maps = _fork_monitor(control, handover, lambda pipes, fds=fds: run_monitor(
                fds, me, pipes, template_ready))
        for fd in fds:
            os.close(fd)
        _send(control, {"pid": pid}, [pidfd])
        os.close(pidfd)
        if maps is not None:
            _map_ids_when_asked(pid, *maps)
        if spare is None and keep_spare:
            spare = _fork_spare(control, expose)


def _map_ids_when_asked(pid: int, unshared_read: int, mapped_write: int) -> None:
    """Write the monitor's id maps once it has unshared (it closes the pipe if it won't)."""
    try:
        ready, _, _ = select.select([unshared_read], [], [], MAP_REQUEST_SECONDS)
        if ready and os.read(unshared_read, 1) == b"u":
            write_id_maps(pid)
            os.write(mapped_write, b"m")
    except OSError:
        pass  # the monitor died or gave up; it reports that itself
    finally:
        os.close(unshared_read)
        os.close(mapped_write)


def main(argv: list[str]) -> None:
    control_fd, parent_pid, template, *modules = argv
    control = socket.socket(fileno=int(control_fd))
    _linux.prctl(_linux.PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != int(parent_pid):
        return
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        _preload(modules)
    except BaseException as exc:
        _send(control, {"error": f"{type(exc).__name__}: {exc}"})
        return
    template_ready = template == "template" and _prepare_root_template(modules)
    # Objects alive now are shared copy-on-write with every fork; keep the collector off them.
    gc.collect()
    gc.freeze()
    _send(control, {"ready": True, "pid": os.getpid()})
    _serve(control, template_ready, runtime_paths(modules))


if __name__ == "__main__":
    main(sys.argv[1:])
