"""Processes: asyncio tasks with a mailbox, links, monitors, exit signals and names.

A process is one asyncio task running a user coroutine inside a wrapper that turns its end into
an exit reason (``"normal"``, the reason of an escaping ``ExitError``, or the exception of a
crash) and then delivers exit signals to linked processes and ``Down`` messages to monitors.
A crash never propagates into the event loop: it is logged (logger ``"otp"``) and signalled.

Killing is synchronous: when a signal decides that a process dies, its links, monitors, name
and pending callers are handled at once (so ``Process.alive`` is false right after
``Process.exit(pid, "kill")``) and its task is cancelled; the cancellation lands at its next
``await``.

Code outside any process (a notebook cell, a plain async test) acts as the *shell* process of
its event loop, like iex: it has a pid and a mailbox, it traps exits, and it logs the exit
signals it receives instead of dying. It drops ``Exit(pid, "normal")`` unless the user set
``Process.flag("trap_exit", True)`` in it, so finished linked processes do not pile up there.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections import deque
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, NoReturn, Protocol

from otp._exceptions import (
    AlreadyRegisteredError,
    AlreadyStartedError,
    ExitError,
    NoProcError,
    StartError,
    format_reason,
)
from otp._node import Node, Pid, Ref, current_node, node_of

logger = logging.getLogger("otp")

__all__ = [
    "Down",
    "Exit",
    "Pid",
    "Process",
    "Ref",
    "TimerRef",
    "Via",
    "current_process",
    "exit",
    "live_processes",
    "lookup",
    "receive",
    "running_process",
    "self",
    "send",
    "spawn",
    "spawn_link",
    "spawn_monitor",
    "start_process",
    "via",
]


@dataclass(frozen=True, slots=True)
class Exit:
    """Elixir's ``{:EXIT, pid, reason}``: an exit signal delivered to a trapping process."""

    pid: Pid
    reason: Any


@dataclass(frozen=True, slots=True)
class Down:
    """Elixir's ``{:DOWN, ref, :process, pid, reason}``: a monitored process is gone."""

    ref: Ref
    pid: Any
    reason: Any


class ViaRegistry(Protocol):
    """What a ``via`` name needs from its registry (Elixir's ``{:via, module, key}``)."""

    def register_name(self, key: Any, pid: Pid) -> bool: ...

    def unregister_name(self, key: Any) -> None: ...

    def whereis_name(self, key: Any) -> Pid | None: ...


@dataclass(frozen=True, slots=True)
class Via:
    """A name resolved through ``registry`` (anything implementing ``ViaRegistry``)."""

    registry: Any
    key: Any


def via(registry: Any, key: Any) -> Via:
    """Elixir's ``{:via, Registry, {registry, key}}``: a name kept by ``registry``."""
    return Via(registry, key)


Name = str | Via
Dest = Pid | str | Via

# The process whose code is running; tasks a process creates with asyncio inherit it.
_current: ContextVar[_Proc | None] = ContextVar("otp_current_process", default=None)


class _Proc(Pid):
    """The runtime state of one process, which is also its pid (see ``Pid``).

    Sets and dicts are allocated on first use.
    """

    __slots__ = (
        "alive",
        "call_deadline",
        "call_future",
        "call_timer",
        "handoff",
        "links",
        "mailbox",
        "monitored_by",
        "monitoring",
        "name",
        "node",
        "on_exit",
        "parent",
        "pending",
        "reason",
        "task",
        "trap_exit",
        "waiter",
    )

    def __init__(self, n: int, node: Node, parent: Pid | None) -> None:
        self._n = n
        self.node = node
        self.parent = parent
        self.alive = True
        self.trap_exit = False
        self.task: asyncio.Task[None] | None = None
        self.mailbox: deque[Any] | None = None
        # Future the process sleeps on while its mailbox is empty; with ``handoff`` set, the
        # sender passes the message through it instead of queueing (the common, fast case).
        self.waiter: asyncio.Future[Any] | None = None
        self.handoff = False
        self.links: set[_Proc] | None = None
        self.monitored_by: dict[Ref, _Proc] | None = None  # monitors on me: ref -> watcher
        self.monitoring: dict[Ref, _Proc] | None = None  # my monitors: ref -> target
        self.name: Name | None = None
        # Reply futures of calls waiting on this process; failed with its reason when it dies.
        self.pending: set[asyncio.Future[Any]] | None = None
        self.on_exit: list[Callable[[Pid, Any], None]] | None = None
        self.reason: Any = None
        # The call this process is waiting on, and one reusable timer for call deadlines (see
        # gen_server.call: a sequential caller re-arms one timer every few seconds instead of
        # scheduling one per call).
        self.call_future: asyncio.Future[Any] | None = None
        self.call_deadline = 0.0
        self.call_timer: asyncio.TimerHandle | None = None

    @property
    def pid(self) -> Pid:
        """The process's pid: the record itself."""
        return self

    @property
    def _proc(self) -> _Proc | None:  # type: ignore[override]
        return self if self.alive else None


class CallerExit:
    """Result put into a pending reply future when the server dies before replying."""

    __slots__ = ("reason",)

    def __init__(self, reason: Any) -> None:
        self.reason = reason


# ---------------------------------------------------------------------------------------------
# Lookup


def current_process() -> _Proc | None:
    """The process whose code is running, or None in the shell (code outside any process)."""
    return _current.get()


def _me() -> _Proc:
    proc = _current.get()
    if proc is not None:
        return proc
    return _shell(current_node())


def _shell(node: Node) -> _Proc:
    shell = node.shell
    if shell is None:
        shell = node.shell = _Proc(0, node, None)
        shell.trap_exit = True
    return shell


def lookup(pid: Pid) -> _Proc | None:
    """The live process behind ``pid``, or None when it has exited."""
    return pid if pid.alive else None  # type: ignore[attr-defined,return-value]


def live_processes(loop: asyncio.AbstractEventLoop | None = None) -> list[Pid]:
    """Pids of every live process on ``loop`` (default: the running loop), oldest first."""
    node = node_of(loop) if loop is not None else current_node()
    return list(node.procs.values())


def running_process(loop: asyncio.AbstractEventLoop) -> Pid | None:
    """The pid whose code is running on ``loop`` right now; callable from another thread.

    Meant for diagnostics such as a watchdog that reports who blocks the loop: it costs a scan
    of the process table, so it is not for hot paths.
    """
    task = asyncio.current_task(loop)
    if task is None:
        return None
    for proc in list(node_of(loop).procs.values()):
        if proc.task is task:
            return proc.pid
    return None


def resolve(dest: Dest) -> _Proc | None:
    """The live process a pid or name designates, or None."""
    if type(dest) is _Proc:
        return dest if dest.alive else None
    if type(dest) is str:
        pid = current_node().names.get(dest)
        return pid._proc if pid is not None else None
    if type(dest) is Via:
        pid = dest.registry.whereis_name(dest.key)
        return pid._proc if pid is not None else None
    raise TypeError(f"expected a Pid, a registered name (str) or a Via name, got {dest!r}")


def self() -> Pid:
    """The pid of the running process (the shell's pid outside any process)."""
    return _me()


# ---------------------------------------------------------------------------------------------
# Messages


def _deliver(proc: _Proc, message: Any) -> None:
    waiter = proc.waiter
    if waiter is not None:
        if proc.handoff:
            proc.waiter = None
            if not waiter.done():
                waiter.set_result(message)
                return
        elif not waiter.done():
            waiter.set_result(None)
    mailbox = proc.mailbox
    if mailbox is None:
        mailbox = proc.mailbox = deque()
    mailbox.append(message)


def send(dest: Dest, message: Any) -> None:
    """Put ``message`` in the mailbox of ``dest``; a dead pid drops it silently.

    Raises ``NoProcError`` for a name that nobody holds, as Elixir's ``send`` does.
    """
    if type(dest) is _Proc:
        proc = dest
    else:
        proc = resolve(dest)
        if proc is None:
            raise NoProcError(dest, "send")
    if proc is not None and proc.alive:
        _deliver(proc, message)


_TIMEOUT = object()


def _fire_timeout(waiter: asyncio.Future[Any]) -> None:
    if not waiter.done():
        waiter.set_result(_TIMEOUT)


def _claim_waiter(proc: _Proc, handoff: bool) -> asyncio.Future[Any]:
    old = proc.waiter
    if old is not None and not old.done():
        raise RuntimeError(
            f"two tasks are receiving from the mailbox of {proc.pid!r} at once; only the "
            "process itself (or, for the shell, one task at a time) may receive"
        )
    waiter = proc.node.loop.create_future()
    proc.waiter = waiter
    proc.handoff = handoff
    return waiter


async def receive(match: Callable[[Any], bool] | None = None, timeout: float | None = None) -> Any:
    """Take the oldest message (the oldest for which ``match(message)`` is true).

    Messages that do not match stay in the mailbox, in order. Raises ``TimeoutError`` when
    ``timeout`` seconds pass without a matching message (``timeout=0`` only looks).
    """
    proc = _me()
    return await receive_from(proc, match, timeout)


async def receive_from(
    proc: _Proc, match: Callable[[Any], bool] | None, timeout: float | None
) -> Any:
    """``receive`` for a known process (behaviours call it without the lookup)."""
    mailbox = proc.mailbox
    scanned = 0
    if mailbox:
        if match is None:
            return mailbox.popleft()
        for i, message in enumerate(mailbox):
            if match(message):
                del mailbox[i]
                return message
        scanned = len(mailbox)
    if timeout is not None and timeout <= 0:
        raise TimeoutError(f"no matching message in the mailbox of {proc.pid!r}")
    loop = proc.node.loop
    deadline = None if timeout is None or timeout == math.inf else loop.time() + timeout
    while True:
        waiter = _claim_waiter(proc, match is None)
        timer = loop.call_at(deadline, _fire_timeout, waiter) if deadline is not None else None
        try:
            result = await waiter
        finally:
            if timer is not None:
                timer.cancel()
            if proc.waiter is waiter:
                proc.waiter = None
        if result is _TIMEOUT:
            raise TimeoutError(f"no matching message arrived within {timeout} s")
        if match is None:
            return result  # handed off by the sender
        mailbox = proc.mailbox
        if mailbox:
            for i in range(scanned, len(mailbox)):
                message = mailbox[i]
                if match(message):
                    del mailbox[i]
                    return message
            scanned = len(mailbox)


async def take(proc: _Proc) -> Any:
    """The next message of ``proc`` in arrival order: the behaviours' fast receive."""
    mailbox = proc.mailbox
    if mailbox:
        return mailbox.popleft()
    waiter = proc.node.loop.create_future()
    proc.waiter = waiter
    proc.handoff = True
    return await waiter


async def take_within(proc: _Proc, timeout: float) -> Any:
    """Like ``take``; returns the ``TIMEOUT`` sentinel after ``timeout`` seconds."""
    mailbox = proc.mailbox
    if mailbox:
        return mailbox.popleft()
    if timeout <= 0:
        return TIMEOUT
    loop = proc.node.loop
    waiter = loop.create_future()
    proc.waiter = waiter
    proc.handoff = True
    timer = loop.call_later(timeout, _fire_timeout, waiter)
    try:
        result = await waiter
    finally:
        timer.cancel()
        if proc.waiter is waiter:
            proc.waiter = None
    if result is _TIMEOUT and proc.mailbox:
        return proc.mailbox.popleft()
    return result


TIMEOUT = _TIMEOUT


# ---------------------------------------------------------------------------------------------
# Spawning and exiting


_NOT_CALLED = object()


async def _run(proc: _Proc, fn: Callable[..., Awaitable[Any]], args: tuple[Any, ...]) -> None:
    _current.set(proc)
    coro: Any = _NOT_CALLED
    try:
        coro = fn(*args)
        await coro
        reason: Any = "normal"
    except ExitError as error:
        reason = error.reason
    except asyncio.CancelledError:
        # Our own kills have already terminated the process; anything else (the loop shutting
        # down, someone cancelling the task) is an untrappable kill, not worth a shell warning.
        reason = "killed"
        if proc.alive:
            proc.task = None
            node = proc.node
            node.quiet = True
            try:
                _kill(proc, reason)
            finally:
                node.quiet = False
            return
    except Exception as error:
        crash: Exception = error
        if coro is not _NOT_CALLED and not hasattr(coro, "__await__"):
            crash = TypeError(  # checked here, off the spawn path, to keep spawning cheap
                f"spawn needs an `async def` function; {getattr(fn, '__name__', fn)!r} "
                f"returned {coro!r} instead of a coroutine"
            )
        reason = crash
        logger.error(
            "Process %r running %s crashed: %s",
            proc.pid,
            getattr(fn, "__qualname__", fn),
            format_reason(crash),
            exc_info=crash,
        )
    except BaseException as error:
        # KeyboardInterrupt or SystemExit must stop the program as usual; the process still
        # leaves the table and signals its links on the way out.
        proc.task = None
        if proc.alive:
            _kill(proc, error)
        raise
    proc.task = None
    if proc.alive:
        if proc.links is None and proc.node.cascade is None:
            _terminate(proc, reason)  # nothing to cascade to: skip the queue
        else:
            _kill(proc, reason)


def _spawn(fn: Callable[..., Awaitable[Any]], args: tuple[Any, ...], link: bool) -> _Proc:
    me = _current.get()
    node = me.node if me is not None else current_node()
    if me is None:
        me = _shell(node)
    n = node.next_pid
    node.next_pid = n + 1
    proc = _Proc(n, node, me)
    node.procs[n] = proc
    if link:
        _add_link(me, proc)
    make_task = node.make_task
    if make_task is None:
        proc.task = node.loop.create_task(_run(proc, fn, args))
    else:
        proc.task = make_task(_run(proc, fn, args), loop=node.loop, name=_TASK_NAME)
    return proc


# One shared name: asyncio would otherwise format a "Task-N" string for every process.
_TASK_NAME = "otp process"


def spawn(fn: Callable[..., Awaitable[Any]], *args: Any) -> Pid:
    """Run ``await fn(*args)`` as a new process and return its pid at once."""
    return _spawn(fn, args, False)


def spawn_link(fn: Callable[..., Awaitable[Any]], *args: Any) -> Pid:
    """``spawn`` and link to the new process in one step (no window where it is unlinked)."""
    return _spawn(fn, args, True)


def spawn_monitor(fn: Callable[..., Awaitable[Any]], *args: Any) -> tuple[Pid, Ref]:
    """``spawn`` and monitor the new process in one step."""
    proc = _spawn(fn, args, False)
    return proc, _add_monitor(_me(), proc)


def exit(reason: Any) -> NoReturn:
    """End the running process with ``reason`` (raises ``ExitError``; catch it to survive)."""
    raise ExitError(reason)


def _kill(proc: _Proc, reason: Any) -> None:
    """Terminate ``proc`` now with ``reason``; cascades through links without recursing."""
    node = proc.node
    queue = node.cascade
    if queue is not None:
        queue.append((proc, reason))
        return
    queue = node.cascade = deque([(proc, reason)])
    try:
        while queue:
            victim, why = queue.popleft()
            if victim.alive:
                _terminate(victim, why)
    finally:
        node.cascade = None


def _terminate(proc: _Proc, reason: Any) -> None:
    proc.alive = False
    proc.reason = reason
    pid = proc
    node = proc.node
    node.procs.pop(proc._n, None)
    proc.mailbox = None
    proc.waiter = None
    task = proc.task
    if task is not None:
        proc.task = None
        task.cancel()
    name = proc.name
    if name is not None:
        _drop_name(node, name, pid)
    pending = proc.pending
    if pending:
        down = CallerExit(reason)
        for future in pending:
            if not future.done():
                future.set_result(down)
        proc.pending = None
    monitoring = proc.monitoring
    if monitoring:
        for ref, target in monitoring.items():
            if target.monitored_by is not None:
                target.monitored_by.pop(ref, None)
        proc.monitoring = None
    links = proc.links
    if links:
        proc.links = None
        for other in links:
            if other.links is not None:
                other.links.discard(proc)
            _signal(other, pid, reason)
    watchers = proc.monitored_by
    if watchers:
        proc.monitored_by = None
        for ref, watcher in watchers.items():
            if watcher.monitoring is not None:
                watcher.monitoring.pop(ref, None)
            if watcher.alive:
                _deliver(watcher, Down(ref, pid, reason))
    callbacks = proc.on_exit
    if callbacks:
        proc.on_exit = None
        for callback in callbacks:
            try:
                callback(pid, reason)
            except Exception:
                logger.exception("on_exit callback %r of %r failed", callback, pid)


def _signal(target: _Proc, sender: Pid, reason: Any) -> None:
    """Deliver a trappable exit signal from ``sender`` to ``target``."""
    if not target.alive:
        return
    if target.trap_exit:
        if target.node.shell is target:
            if reason == "normal" and not target.node.shell_keeps_normal_exits:
                return  # see Node.shell_keeps_normal_exits
            if not _is_quiet(reason):
                logger.log(
                    logging.DEBUG if target.node.quiet else logging.WARNING,
                    "the shell received an exit signal from %r: %s (it traps exits; the "
                    "signal is in its mailbox as an Exit message)",
                    sender,
                    format_reason(reason),
                )
        _deliver(target, Exit(sender, reason))
    elif reason != "normal":
        _die(target, reason)


def _die(target: _Proc, reason: Any) -> None:
    if target.node.shell is target:
        logger.error(
            "the shell would exit with reason %s; it keeps running (code outside a process "
            "cannot be killed)",
            format_reason(reason),
        )
        return
    _kill(target, reason)


def _is_quiet(reason: Any) -> bool:
    return (
        reason == "normal"
        or reason == "shutdown"
        or (type(reason) is tuple and len(reason) == 2 and reason[0] == "shutdown")
    )


# ---------------------------------------------------------------------------------------------
# Links and monitors


def _add_link(a: _Proc, b: _Proc) -> None:
    if a is b:
        return
    if a.links is None:
        a.links = set()
    a.links.add(b)
    if b.links is None:
        b.links = set()
    b.links.add(a)


def _add_monitor(watcher: _Proc, target: _Proc | None, target_id: Any = None) -> Ref:
    ref = Ref()
    if target is None or not target.alive:
        _deliver(watcher, Down(ref, target_id, "noproc"))
        return ref
    if target.monitored_by is None:
        target.monitored_by = {}
    target.monitored_by[ref] = watcher
    if watcher.monitoring is None:
        watcher.monitoring = {}
    watcher.monitoring[ref] = target
    return ref


# ---------------------------------------------------------------------------------------------
# Names


def _register(node: Node, name: Name, proc: _Proc) -> None:
    """Give ``proc`` the name; raises ``AlreadyRegisteredError`` when it is taken."""
    if type(name) is Via:
        if not name.registry.register_name(name.key, proc.pid):
            holder = name.registry.whereis_name(name.key)
            raise AlreadyRegisteredError(holder, name)
    else:
        if not isinstance(name, str) or not name:
            raise TypeError(f"a process name must be a non-empty str or a Via, got {name!r}")
        holder = node.names.get(name)
        if holder is not None:
            raise AlreadyRegisteredError(holder, name)
        if proc.name is not None:
            raise ValueError(f"{proc.pid!r} is already registered as {proc.name!r}")
        node.names[name] = proc.pid
    proc.name = name


def _drop_name(node: Node, name: Name, pid: Pid) -> None:
    if type(name) is Via:
        try:
            if name.registry.whereis_name(name.key) is pid:
                name.registry.unregister_name(name.key)
        except Exception:
            logger.exception("unregistering %r of %r failed", name, pid)
    elif node.names.get(name) is pid:
        del node.names[name]


# ---------------------------------------------------------------------------------------------
# Starting with an acknowledgement (Erlang's proc_lib:start / init_ack)


async def start_process(
    fn: Callable[..., Awaitable[Any]], *args: Any, link: bool, name: Name | None = None
) -> Any:
    """Spawn ``fn(ack, *args)`` and wait until it calls ``ack(result)``.

    The new process registers ``name`` first (``AlreadyStartedError`` if taken). ``ack(value)``
    makes this function return ``value`` (behaviours pass the pid, or None for ignore);
    ``ack(exception)`` makes it raise that exception. If the process exits before acking, this
    raises ``StartError(reason)``.
    """
    me = _me()
    loop = me.node.loop
    started: asyncio.Future[Any] = loop.create_future()

    def ack(result: Any) -> None:
        if not started.done():
            started.set_result(result)

    async def body() -> None:
        if name is not None:
            current = _current.get()
            assert current is not None
            try:
                _register(current.node, name, current)
            except AlreadyRegisteredError as taken:
                ack(AlreadyStartedError(taken.pid, name))
                return
        await fn(ack, *args)

    proc = _spawn(body, (), link)

    def on_exit(pid: Pid, reason: Any) -> None:
        ack(StartError(reason))

    proc.on_exit = [on_exit]
    try:
        result = await started
    finally:
        if proc.on_exit and on_exit in proc.on_exit:
            proc.on_exit.remove(on_exit)
    if isinstance(result, BaseException):
        raise result
    return result


# ---------------------------------------------------------------------------------------------
# Timers


class TimerRef:
    """A pending ``Process.send_after``; ``Process.cancel_timer`` stops it."""

    __slots__ = ("_handle",)

    def __init__(self, handle: asyncio.TimerHandle) -> None:
        self._handle = handle

    def __repr__(self) -> str:
        return f"<TimerRef at {self._handle.when():.3f}>"


def _send_quietly(dest: Dest, message: Any) -> None:
    try:
        send(dest, message)
    except NoProcError:
        pass


class Process:
    """Elixir's ``Process`` module: functions about processes other than the running one."""

    @staticmethod
    def exit(pid: Pid, reason: Any) -> None:
        """Send an exit signal; ``"kill"`` cannot be trapped and the victim exits ``"killed"``."""
        target = pid._proc
        if target is None:
            return
        me = _me()
        if reason == "kill":
            _die(target, "killed")
        elif reason == "normal" and target is me:
            _die(target, "normal")
        else:
            _signal(target, me.pid, reason)

    @staticmethod
    def link(pid: Pid) -> None:
        """Link the running process and ``pid``; a dead ``pid`` signals ``"noproc"``."""
        me = _me()
        target = pid._proc
        if target is None:
            _signal(me, pid, "noproc")
            return
        _add_link(me, target)

    @staticmethod
    def unlink(pid: Pid) -> None:
        """Remove the link between the running process and ``pid`` (if any)."""
        me = _me()
        target = pid._proc
        if me.links is not None and target is not None:
            me.links.discard(target)
            if target.links is not None:
                target.links.discard(me)

    @staticmethod
    def monitor(target: Dest) -> Ref:
        """Watch ``target``: a ``Down`` message arrives when it exits (at once if it is dead)."""
        return _add_monitor(_me(), resolve(target), target)

    @staticmethod
    def demonitor(ref: Ref, flush: bool = False) -> bool:
        """Stop a monitor; with ``flush``, also drop its ``Down`` if it already arrived."""
        me = _me()
        target = me.monitoring.pop(ref, None) if me.monitoring else None
        if target is not None and target.monitored_by is not None:
            target.monitored_by.pop(ref, None)
        if flush and me.mailbox:
            me.mailbox = deque(m for m in me.mailbox if not (type(m) is Down and m.ref is ref))
        return True

    @staticmethod
    def flag(flag: str, value: bool) -> bool:
        """Set a process flag (only ``"trap_exit"``); returns its previous value.

        The shell traps exits from the start but drops ``Exit(pid, "normal")``; setting
        ``trap_exit`` to True in the shell asks for those too.
        """
        if flag != "trap_exit":
            raise ValueError(f"unsupported process flag {flag!r}; only 'trap_exit' exists")
        me = _me()
        previous = me.trap_exit
        me.trap_exit = bool(value)
        if me.node.shell is me:  # asked for explicitly: the shell keeps "normal" exits too
            me.node.shell_keeps_normal_exits = bool(value)
        return previous

    @staticmethod
    def alive(pid: Pid) -> bool:
        """Whether ``pid`` is still running."""
        return pid._proc is not None

    @staticmethod
    def register(pid: Pid, name: str) -> None:
        """Give ``pid`` a name usable with ``send`` and ``GenServer.call``."""
        proc = pid._proc
        if proc is None:
            raise NoProcError(pid, "register")
        _register(proc.node, name, proc)

    @staticmethod
    def unregister(name: str) -> None:
        """Remove a registered name (the process keeps running)."""
        node = current_node()
        pid = node.names.pop(name, None)
        if pid is None:
            raise NoProcError(name, "unregister")
        if pid.alive:  # type: ignore[attr-defined]
            pid.name = None  # type: ignore[attr-defined]

    @staticmethod
    def whereis(name: str) -> Pid | None:
        """The pid registered under ``name``, or None."""
        return current_node().names.get(name)

    @staticmethod
    def registered() -> list[str]:
        """All registered names of this node."""
        return list(current_node().names)

    @staticmethod
    def send_after(dest: Dest, message: Any, seconds: float) -> TimerRef:
        """Send ``message`` to ``dest`` after ``seconds``."""
        loop = _me().node.loop
        return TimerRef(loop.call_later(seconds, _send_quietly, dest, message))

    @staticmethod
    def cancel_timer(ref: TimerRef) -> float | bool:
        """Cancel a timer: the seconds it had left, or False if it already fired."""
        handle = ref._handle
        left = handle.when() - _me().node.loop.time()
        if handle.cancelled() or left <= 0:
            return False
        handle.cancel()
        return left

    @staticmethod
    async def sleep(seconds: float) -> None:
        """Suspend the running process for ``seconds`` (other processes keep running)."""
        await asyncio.sleep(seconds)

    @staticmethod
    def info(pid: Pid) -> dict[str, Any] | None:
        """A snapshot of a live process (None when it has exited)."""
        proc = pid._proc
        if proc is None:
            return None
        return {
            "registered_name": proc.name,
            "links": sorted(p.pid for p in proc.links or ()),
            "monitors": [t.pid for t in (proc.monitoring or {}).values()],
            "monitored_by": [w.pid for w in (proc.monitored_by or {}).values()],
            "trap_exit": proc.trap_exit,
            "message_queue_len": len(proc.mailbox or ()),
            "parent": proc.parent,
        }

    @staticmethod
    def list() -> list[Pid]:
        """Pids of all live processes of this node."""
        return live_processes()
