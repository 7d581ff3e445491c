"""Watching a live ``otp`` system from a notebook: snapshots of supervision trees, a tracer for
GenServer calls and casts, and a way to crash a process and wait until it is gone.

These read only the runtime's public API (``Supervisor.which_children``, ``GenServer.call``,
``Process.monitor``), and hand plain data to :mod:`grader.notebook.diagrams` to draw.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import otp

from grader.notebook.diagrams import MessageFlow, TreeNode, TreePicture, mark_changes

_SHELL_LABEL = "you (notebook)"


def label_of(value: Any) -> str:
    """A short human name for a child id, a registered name, a class or a start function
    (``Task.start_link`` is labelled ``Task``)."""
    if isinstance(value, type):
        return value.__name__
    if isinstance(value, str):
        return value
    qualname = getattr(value, "__qualname__", None)
    if callable(value) and isinstance(qualname, str):
        return qualname.split(".")[0]
    return repr(value)


async def supervision_tree(sup: Any, label: str | None = None, note: str = "") -> TreeNode:
    """A snapshot of the tree under ``sup`` (a pid or a registered name), children in start
    order, nested supervisors expanded."""
    pid = otp.Process.whereis(sup) if isinstance(sup, str) else sup
    children = await otp.Supervisor.which_children(sup)
    if all(info.id in (None, "undefined") for info in children):
        # A DynamicSupervisor's children have no ids and no promised order: pids are
        # allocated in start order, so sort by them.
        ordered = sorted(children, key=lambda info: (info.pid is None, _pid_key(info.pid)))
    else:
        ordered = list(reversed(children))  # which_children lists the newest child first
    nodes: list[TreeNode] = []
    for info in ordered:
        child_pid = info.pid if isinstance(info.pid, otp.Pid) else None
        name = _child_label(info, child_pid)
        if info.type == "supervisor" and child_pid is not None:
            nodes.append(await supervision_tree(child_pid, name))
        else:
            nodes.append(
                TreeNode(name, repr(child_pid) if child_pid else None, info.type)  # type: ignore[arg-type]
            )
    return TreeNode(
        label or _registered_name(pid) or label_of(sup),
        repr(pid) if pid is not None else None,
        "supervisor",
        note,
        children=tuple(nodes),
    )


def _pid_key(pid: Any) -> tuple[int, ...]:
    return tuple(int(part) for part in repr(pid).strip("<>").split(".")) if pid else ()


def _registered_name(pid: otp.Pid | None) -> str | None:
    details = otp.Process.info(pid) if pid is not None else None
    name = details.get("registered_name") if details else None
    return label_of(name) if name else None


def _child_label(info: Any, pid: otp.Pid | None) -> str:
    """The child's id; a DynamicSupervisor's children have none, so their registered name (or
    their module) labels them instead."""
    if info.id not in (None, "undefined"):
        return label_of(info.id)
    name = _registered_name(pid)
    if name:
        return name
    return label_of(info.modules[0]) if info.modules else "child"


def show_trees(*trees: tuple[str, TreeNode]) -> TreePicture:
    """Pictures of trees side by side; the second and later are compared with the first, so
    restarted processes (new pids) stand out."""
    if not trees:
        raise ValueError("show_trees needs at least one (caption, tree) pair")
    first = trees[0][1]
    marked = [trees[0], *((caption, mark_changes(first, tree)) for caption, tree in trees[1:])]
    return TreePicture(tuple(marked))


async def kill_and_wait(pid: otp.Pid, reason: Any = "kill", within: float = 2.0) -> Any:
    """Send ``pid`` an exit signal and wait for it to die; returns the reason it died with.

    Waiting on a monitor's ``Down`` message, not on a clock: when this returns, the process is
    gone and its supervisor has been told.
    """
    ref = otp.Process.monitor(pid)
    otp.Process.exit(pid, reason)
    down = await otp.receive(
        lambda message: isinstance(message, otp.Down) and message.ref == ref, timeout=within
    )
    return down.reason


async def settled(*supervisors: Any) -> None:
    """Return once each supervisor has handled every message already in its mailbox.

    A call queues behind the exit signals a supervisor has received, so when its answer comes
    back the supervisor has reacted to them. A supervisor that died meanwhile is skipped: its
    own exit signal is then already on its way to its parent, which is why callers list the
    inner supervisor before the outer one.
    """
    for sup in supervisors:
        try:
            await otp.Supervisor.count_children(sup)
        except otp.ExitError:
            continue


def _short(value: Any, limit: int = 24) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


@contextmanager
def trace_calls(
    flow: MessageFlow, names: Mapping[Any, str] | None = None
) -> Iterator[MessageFlow]:
    """Record every ``GenServer.call``/``cast`` made while the block runs into ``flow``.

    ``names`` gives readable labels to pids; registered names label themselves and the
    notebook's own process is "you (notebook)". Calls that time out or fail are drawn as
    such, so the picture shows what the caller saw.
    """
    labels = dict(names or {})
    shell = otp.self()
    gen_server = otp.GenServer
    saved_call, saved_cast = gen_server.__dict__["call"], gen_server.__dict__["cast"]
    real_call, real_cast = gen_server.call, gen_server.cast

    def who(process: Any) -> str:
        if process in labels:
            return labels[process]
        if process == shell:
            return _SHELL_LABEL
        return label_of(process)

    async def call(server: Any, request: Any, timeout: float | None = 5.0) -> Any:  # noqa: ASYNC109 (GenServer.call's own signature)
        caller, target = who(otp.self()), who(server)
        flow.record(caller, target, _short(request), "call")
        try:
            answer = await real_call(server, request, timeout)
        except otp.CallTimeoutError:
            flow.record(caller, caller, f"timed out after {timeout} s", "timeout")
            raise
        except otp.ExitError as error:
            flow.record(caller, caller, f"exit: {_short(error.reason)}", "exit")
            raise
        flow.record(target, caller, _short(answer), "reply")
        return answer

    def cast(server: Any, request: Any) -> None:
        flow.record(who(otp.self()), who(server), _short(request), "cast")
        real_cast(server, request)

    gen_server.call = staticmethod(call)  # type: ignore[method-assign, assignment]
    gen_server.cast = staticmethod(cast)  # type: ignore[method-assign, assignment]
    try:
        yield flow
    finally:
        gen_server.call = saved_call  # type: ignore[method-assign]
        gen_server.cast = saved_cast  # type: ignore[method-assign]
