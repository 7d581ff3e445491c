"""Supervisor: starts children in order, restarts them by strategy, stops them in reverse.

A supervisor is a GenServer that traps exits. Each ``Exit`` from a child is classified by the
child's restart type; a restart first passes the intensity window (:mod:`otp._restart_intensity`),
then the strategy (:mod:`otp._strategy`) picks which siblings restart with it. When the window
is exceeded the supervisor stops every child, newest first, and exits ``"shutdown"`` so that its
own supervisor applies *its* strategy: that is escalation.

Two ways to define one, as in Elixir: ``await Supervisor.start_link(children, strategy=...)``,
or a subclass whose ``init(arg)`` returns ``Supervisor.init_spec(children, strategy=...)``.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from otp._exceptions import StartError, SupervisorError
from otp._process import Exit, Pid, Process, send
from otp._process import self as self_pid
from otp._restart_intensity import RestartIntensity
from otp._returns import Ignore, NoReply, Ok, Reply, Stop
from otp._strategy import Strategy, affected_by_crash, check_strategy
from otp._supervision import (
    Clock,
    StartFailed,
    call_supervisor,
    exit_calls_for_restart,
    log,
    restart_allowed,
    shutdown_child,
    spec_from_init,
    start_child,
    supervisor_child_spec,
)
from otp.child_spec import ChildSpec, ChildType, child_spec
from otp.gen_server import GenServer

__all__ = ["ChildCounts", "ChildInfo", "Supervisor", "SupervisorSpec"]


@dataclass(frozen=True)
class SupervisorSpec:
    """What a supervisor's ``init`` returns (Elixir's ``Supervisor.init/2`` result).

    ``clock`` replaces the event loop's monotonic time for the intensity window; tests use it
    to step time instead of sleeping.
    """

    children: tuple[ChildSpec, ...]
    strategy: Strategy = "one_for_one"
    max_restarts: int = 3
    max_seconds: float = 5.0
    clock: Clock | None = None


@dataclass(frozen=True)
class ChildInfo:
    """One row of ``which_children``: ``pid`` is ``None`` when not running (Elixir's
    ``:undefined``) and ``"restarting"`` while a failed restart waits to be retried."""

    id: Any
    pid: Pid | Literal["restarting"] | None
    type: ChildType
    modules: tuple[Any, ...]


@dataclass(frozen=True)
class ChildCounts:
    """``count_children``: all specs, running children, and specs per type."""

    specs: int
    active: int
    supervisors: int
    workers: int


@dataclass(eq=False)
class _Child:
    spec: ChildSpec
    pid: Pid | None = None
    restarting: bool = False

    @property
    def id(self) -> Any:
        return self.spec.id


@dataclass(frozen=True)
class _RetryRestart:
    """Sent to itself when a restart failed, so other messages get served before retrying."""

    child_id: Any


@dataclass(frozen=True)
class _Boot:
    """The start argument of the supervisor process: how to obtain its SupervisorSpec."""

    module: type[Supervisor]
    arg: Any
    spec: SupervisorSpec | None  # given directly by the list form of start_link


@dataclass(eq=False)
class _State:
    name: Any
    strategy: Strategy
    intensity: RestartIntensity
    clock: Clock
    order: list[_Child] = field(default_factory=list)  # start order, oldest first
    by_pid: dict[Pid, _Child] = field(default_factory=dict)

    def find(self, child_id: Any) -> _Child | None:
        for child in self.order:
            if child.id == child_id:
                return child
        return None

    def set_pid(self, child: _Child, pid: Pid | None) -> None:
        if child.pid is not None:
            self.by_pid.pop(child.pid, None)
        child.pid = pid
        if pid is not None:
            self.by_pid[pid] = child

    def add(self, spec: ChildSpec, pid: Pid | None) -> None:
        """Keep a child just started, unless it is temporary and ignored: nothing would ever
        start it again."""
        if pid is None and spec.restart == "temporary":
            return
        child = _Child(spec)
        self.order.append(child)
        self.set_pid(child, pid)

    def remove(self, child: _Child) -> None:
        self.set_pid(child, None)
        self.order.remove(child)

    def drop_if_temporary(self, child: _Child) -> None:
        """Forget a stopped child's spec if it is temporary: OTP never starts one again."""
        if child.spec.restart == "temporary":
            self.remove(child)


class _SupervisorServer(GenServer):
    """The supervisor process; ``Supervisor`` is the learner-facing behaviour around it."""

    async def init(self, boot: _Boot) -> Ok | Stop | Ignore:
        Process.flag("trap_exit", True)
        spec = boot.spec
        if spec is None:
            spec = await spec_from_init(boot.module, boot.arg, SupervisorSpec)
            if isinstance(spec, (Ignore, Stop)):
                return spec
        duplicate = _first_duplicate_id(spec.children)
        if duplicate is not None:
            return Stop(("start_spec", ("duplicate_child_name", duplicate)))
        state = _State(
            name=boot.module.__qualname__ if boot.spec is None else self_pid(),
            strategy=spec.strategy,
            intensity=RestartIntensity(spec.max_restarts, spec.max_seconds),
            clock=spec.clock or asyncio.get_running_loop().time,
        )
        for child_spec_ in spec.children:
            started = await start_child(child_spec_)
            if isinstance(started, StartFailed):
                await _terminate_all(state)
                reason = ("failed_to_start_child", child_spec_.id, started.reason)
                return Stop(("shutdown", reason))
            state.add(child_spec_, started)
        return Ok(state)

    async def handle_call(self, request: Any, from_: Any, state: _State) -> Reply:
        match request:
            case ("which_children",):
                return Reply(_which_children(state), state)
            case ("count_children",):
                return Reply(_count_children(state), state)
            case ("start_child", spec):
                return Reply(await _start_new_child(state, spec), state)
            case ("terminate_child", child_id):
                return Reply(await _terminate_child(state, child_id), state)
            case ("restart_child", child_id):
                return Reply(await _restart_child(state, child_id), state)
            case ("delete_child", child_id):
                return Reply(_delete_child(state, child_id), state)
        raise ValueError(f"unknown supervisor request {request!r}")

    async def handle_info(self, message: Any, state: _State) -> NoReply | Stop:
        match message:
            case Exit(pid, reason) if pid in state.by_pid:
                return await _child_exited(state, state.by_pid[pid], reason)
            case _RetryRestart(child_id):
                child = state.find(child_id)
                if child is not None and child.restarting:
                    child.restarting = False
                    return await _restart(state, child)
        return NoReply(state)

    async def terminate(self, reason: Any, state: _State) -> None:
        await _terminate_all(state)


async def _child_exited(state: _State, child: _Child, reason: Any) -> NoReply | Stop:
    pid = child.pid
    state.set_pid(child, None)
    if exit_calls_for_restart(state.name, child.id, pid, child.spec.restart, reason):
        return await _restart(state, child)
    state.drop_if_temporary(child)
    return NoReply(state)


async def _restart(state: _State, crashed: _Child) -> NoReply | Stop:
    """Restart ``crashed`` and, by strategy, its siblings; or give up past the intensity."""
    if not restart_allowed("supervisor", state.name, state.intensity, state.clock()):
        return Stop("shutdown", state)
    affected = affected_by_crash(state.strategy, state.order, crashed)
    for sibling in reversed(affected):
        if sibling is crashed:
            continue
        await _shutdown(state, sibling)
        state.drop_if_temporary(sibling)
    for child in affected:
        if child not in state.order or child.pid is not None:
            continue
        started = await start_child(child.spec)
        if isinstance(started, StartFailed):
            log.error(
                "supervisor %r: restarting child %r failed: %r; trying again",
                state.name,
                child.id,
                started.reason,
            )
            child.restarting = True
            send(self_pid(), _RetryRestart(child.id))
            break
        child.restarting = False
        state.set_pid(child, started)
    return NoReply(state)


async def _shutdown(state: _State, child: _Child) -> None:
    """Stop ``child`` if it runs, within its own shutdown, and forget its pid."""
    if child.pid is not None:
        await shutdown_child(child.pid, child.spec.shutdown_timeout)
        state.set_pid(child, None)


async def _terminate_all(state: _State) -> None:
    for child in reversed(state.order):
        await _shutdown(state, child)


def _which_children(state: _State) -> list[ChildInfo]:
    return [
        ChildInfo(
            child.id,
            "restarting" if child.restarting else child.pid,
            child.spec.type,
            child.spec.modules,
        )
        for child in reversed(state.order)
    ]


def _count_children(state: _State) -> ChildCounts:
    supervisors = sum(1 for c in state.order if c.spec.type == "supervisor")
    return ChildCounts(
        specs=len(state.order),
        active=sum(1 for c in state.order if c.pid is not None and Process.alive(c.pid)),
        supervisors=supervisors,
        workers=len(state.order) - supervisors,
    )


async def _start_new_child(state: _State, spec: ChildSpec) -> Any:
    existing = state.find(spec.id)
    if existing is not None:
        if existing.pid is not None:
            return SupervisorError(
                ("already_started", existing.pid),
                f"a child with id {spec.id!r} is already running as {existing.pid!r}",
            )
        return SupervisorError(
            "already_present",
            f"a child with id {spec.id!r} is already present (stopped); restart_child or "
            "delete_child it first",
        )
    started = await start_child(spec)
    if isinstance(started, StartFailed):
        return StartError(started.reason)
    state.add(spec, started)
    return started


async def _terminate_child(state: _State, child_id: Any) -> Any:
    child = state.find(child_id)
    if child is None:
        return _not_found(child_id)
    await _shutdown(state, child)
    child.restarting = False
    state.drop_if_temporary(child)
    return None


async def _restart_child(state: _State, child_id: Any) -> Any:
    child = _stopped_child(state, child_id)
    if isinstance(child, SupervisorError):
        return child
    started = await start_child(child.spec)
    if isinstance(started, StartFailed):
        return StartError(started.reason)
    state.set_pid(child, started)
    return started


def _delete_child(state: _State, child_id: Any) -> Any:
    child = _stopped_child(state, child_id)
    if isinstance(child, SupervisorError):
        return child
    state.remove(child)
    return None


def _stopped_child(state: _State, child_id: Any) -> _Child | SupervisorError:
    """The child ``child_id`` if it is stopped and not awaiting a retried restart: only such a
    child may be restarted or deleted by hand."""
    child = state.find(child_id)
    if child is None:
        return _not_found(child_id)
    if child.restarting:
        return SupervisorError("restarting", f"child {child_id!r} is being restarted")
    if child.pid is not None:
        return SupervisorError("running", f"child {child_id!r} is running; terminate it first")
    return child


def _not_found(child_id: Any) -> SupervisorError:
    return SupervisorError("not_found", f"the supervisor has no child with id {child_id!r}")


def _first_duplicate_id(children: Iterable[ChildSpec]) -> Any:
    seen: list[Any] = []
    for spec in children:
        if spec.id in seen:
            return spec.id
        seen.append(spec.id)
    return None


class Supervisor:
    """OTP's Supervisor behaviour.

    List form::

        sup = await Supervisor.start_link([Counter, (Stack, [1])], strategy="one_for_one")

    Module form (Elixir's ``use Supervisor``)::

        class App(Supervisor):
            async def init(self, arg):
                return Supervisor.init_spec([Counter], strategy="one_for_all")

        sup = await App.start_link(arg)
    """

    async def init(self, arg: Any) -> SupervisorSpec | Ignore:
        """Return ``Supervisor.init_spec(children, ...)``, or ``Ignore()`` not to start."""
        raise NotImplementedError(
            f"{type(self).__qualname__} must define `async def init(self, arg)` returning "
            "Supervisor.init_spec(children, strategy=...)"
        )

    @staticmethod
    def init_spec(
        children: Iterable[Any],
        *,
        strategy: Strategy = "one_for_one",
        max_restarts: int = 3,
        max_seconds: float = 5.0,
        clock: Clock | None = None,
    ) -> SupervisorSpec:
        """Normalise the children and options (Elixir's ``Supervisor.init/2``)."""
        RestartIntensity(max_restarts, max_seconds)  # validates the limits here, at the caller
        return SupervisorSpec(
            children=tuple(child_spec(child) for child in children),
            strategy=check_strategy(strategy),
            max_restarts=max_restarts,
            max_seconds=max_seconds,
            clock=clock,
        )

    @classmethod
    async def start_link(
        cls,
        arg: Any = None,
        *,
        name: str | Any | None = None,
        strategy: Strategy | None = None,
        max_restarts: int | None = None,
        max_seconds: float | None = None,
        clock: Clock | None = None,
    ) -> Pid | None:
        """Start a supervisor linked to the caller; ``None`` if its ``init`` returned Ignore.

        On ``Supervisor`` itself, ``arg`` is the list of children and the keywords are the
        options; on a subclass, ``arg`` goes to ``init`` and the options belong in
        ``init_spec``. Raises :class:`StartError` (reason ``("shutdown",
        ("failed_to_start_child", id, reason))``) when a child fails to start.
        """
        options = {"strategy": strategy, "max_restarts": max_restarts, "max_seconds": max_seconds}
        given = {key: value for key, value in options.items() if value is not None}
        if cls is Supervisor:
            spec = Supervisor.init_spec(arg or (), **given, clock=clock)
            boot = _Boot(cls, None, spec)
        else:
            if given or clock is not None:
                raise TypeError(
                    f"{cls.__qualname__}.start_link: pass {sorted(given) or ['clock']} to "
                    "Supervisor.init_spec in init, not to start_link"
                )
            boot = _Boot(cls, arg, None)
        return await _SupervisorServer.start_link(boot, name=name)

    @classmethod
    def child_spec(cls, arg: Any = None, **overrides: Any) -> ChildSpec:
        """A spec that starts this supervisor as a child (type supervisor, shutdown infinity).

        On ``Supervisor`` itself ``arg`` is the children list, and supervisor options
        (``strategy``, ``max_restarts``, ``max_seconds``, ``name``) may be mixed into
        ``overrides``.
        """
        start_options = ("strategy", "max_restarts", "max_seconds", "name", "clock")
        return supervisor_child_spec(cls, arg, overrides, start_options)

    @staticmethod
    async def which_children(sup: Any) -> list[ChildInfo]:
        """Every child, newest first; a child that is not running has ``pid=None``."""
        return await call_supervisor(sup, ("which_children",))

    @staticmethod
    async def count_children(sup: Any) -> ChildCounts:
        return await call_supervisor(sup, ("count_children",))

    @staticmethod
    async def start_child(sup: Any, child: Any) -> Pid | None:
        """Add and start a child; raises SupervisorError for a duplicate id."""
        return await call_supervisor(sup, ("start_child", child_spec(child)))

    @staticmethod
    async def terminate_child(sup: Any, child_id: Any) -> None:
        """Stop a child by id and keep its spec (a temporary child's spec is dropped)."""
        await call_supervisor(sup, ("terminate_child", child_id))

    @staticmethod
    async def restart_child(sup: Any, child_id: Any) -> Pid | None:
        """Start again a child that was terminated; SupervisorError("running") if it runs."""
        return await call_supervisor(sup, ("restart_child", child_id))

    @staticmethod
    async def delete_child(sup: Any, child_id: Any) -> None:
        """Forget a stopped child's spec; SupervisorError("running") if it runs."""
        await call_supervisor(sup, ("delete_child", child_id))

    @staticmethod
    async def stop(sup: Any, reason: Any = "normal", timeout: float = math.inf) -> None:
        """Stop the supervisor: its children stop first, newest first."""
        await GenServer.stop(sup, reason, timeout)
