"""Identities and per-loop state: ``Pid``, ``Ref`` and the ``Node`` attached to each event loop.

A node is what the BEAM calls the local runtime: its process table and its name table. There is
one per asyncio event loop, created on first use, so two loops (two tests, two notebooks in one
interpreter) never see each other's processes or names.
"""

from __future__ import annotations

import asyncio
import itertools
import weakref
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from otp._process import _Proc


class Pid:
    """A process identifier: opaque, hashable, ordered by creation, printed like ``<0.42.0>``.

    Equality is identity. Every pid is in fact the process's own runtime record (the subclass
    ``otp._process._Proc``): one object per process instead of two makes spawning cheaper and
    lets ``send`` reach the mailbox without a table lookup. ``pid._proc`` is that record while
    the process lives and None after it exited.
    """

    __slots__ = ("_n",)

    _proc: _Proc | None  # provided by the subclass

    def __repr__(self) -> str:
        return f"<0.{self._n}.0>"

    def __lt__(self, other: Pid) -> bool:
        return self._n < other._n

    def __reduce__(self) -> Any:
        raise TypeError("a Pid is only meaningful inside the event loop that created it")


class Ref:
    """A unique reference (monitors, timers), printed like ``#Ref<0.7>``; equality is identity."""

    __slots__ = ("_n",)

    _counter = itertools.count(1)

    def __init__(self) -> None:
        self._n = next(Ref._counter)

    def __repr__(self) -> str:
        return f"#Ref<0.{self._n}>"


class Node:
    """The process table and name table of one event loop."""

    __slots__ = (
        "__weakref__",
        "cascade",
        "loop",
        "make_task",
        "names",
        "next_pid",
        "procs",
        "quiet",
        "shell",
        "shell_keeps_normal_exits",
    )

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.procs: dict[int, _Proc] = {}
        self.names: dict[str, Pid] = {}
        self.next_pid = 1  # <0.0.0> is reserved for the shell
        self.shell: _Proc | None = None
        # The shell traps exits so a crash cannot kill it, but drops Exit(pid, "normal") (a
        # notebook would otherwise pile one up per finished linked process and slow every
        # selective receive) until the user sets Process.flag("trap_exit", True) in it.
        self.shell_keeps_normal_exits = False
        # Exit signals that kill are processed from this queue so a long chain of links does
        # not recurse; None when no cascade is in progress.
        self.cascade: Any = None
        # True while a process cancelled from outside otp (e.g. by the loop shutting down) is
        # exiting: the shell then logs the resulting exit signals at DEBUG, not WARNING.
        self.quiet = False
        # Processes are created with asyncio.Task directly (skipping loop.create_task's Python
        # frame) unless the loop has a custom task factory, which must then be honoured.
        self.make_task: Any = asyncio.Task if loop.get_task_factory() is None else None


_nodes: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Node] = weakref.WeakKeyDictionary()
# The last (loop, node) pair used: nearly every lookup is for the same loop as the one before.
# One tuple, read once, so a loop running in another thread can never pair with our node.
_last: tuple[asyncio.AbstractEventLoop | None, Node | None] = (None, None)


def node_of(loop: asyncio.AbstractEventLoop) -> Node:
    """The node attached to ``loop`` (created on first use)."""
    global _last
    last = _last
    if last[0] is loop:
        return last[1]  # type: ignore[return-value]
    node = _nodes.get(loop)
    if node is None:
        node = _nodes.setdefault(loop, Node(loop))
    _last = (loop, node)
    return node


def current_node() -> Node:
    """The node of the running event loop; a clear error when called outside one."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        raise RuntimeError(
            "otp needs a running asyncio event loop: call this from async code "
            "(an `async def`, a notebook cell using `await`, or an async test)"
        ) from None
    return node_of(loop)
