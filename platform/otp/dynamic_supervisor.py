"""DynamicSupervisor: a supervisor that starts with no children and adds them on demand.

Children have no ids (the same spec may run many times), are known by pid, and restart one for
one with the same restart types and intensity as :mod:`otp.supervisor`. On shutdown every child
gets its exit signal at once, since no child depends on another.
"""

from __future__ import annotations

import asyncio
import itertools
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

from otp._exceptions import MaxChildrenError, StartError, SupervisorError
from otp._process import Exit, Pid, Process, send
from otp._process import self as self_pid
from otp._restart_intensity import RestartIntensity
from otp._returns import Ignore, NoReply, Ok, Reply, Stop
from otp._supervision import (
    Clock,
    StartFailed,
    call_supervisor,
    exit_calls_for_restart,
    log,
    restart_allowed,
    shutdown_child,
    shutdown_children_together,
    spec_from_init,
    start_child,
    supervisor_child_spec,
)
from otp.child_spec import ChildSpec, child_spec
from otp.gen_server import GenServer
from otp.supervisor import ChildCounts, ChildInfo

__all__ = ["DynamicSupervisor", "DynamicSupervisorSpec"]


@dataclass(frozen=True)
class DynamicSupervisorSpec:
    """What a DynamicSupervisor's ``init`` returns (Elixir's ``DynamicSupervisor.init/1``)."""

    strategy: Literal["one_for_one"] = "one_for_one"
    max_restarts: int = 3
    max_seconds: float = 5.0
    max_children: float = math.inf
    extra_arguments: tuple[Any, ...] = ()
    clock: Clock | None = None


@dataclass(frozen=True)
class _Boot:
    module: type[DynamicSupervisor]
    arg: Any
    spec: DynamicSupervisorSpec | None


@dataclass(frozen=True)
class _RetryRestart:
    token: int


@dataclass(eq=False)
class _State:
    name: Any
    spec: DynamicSupervisorSpec
    intensity: RestartIntensity
    clock: Clock
    children: dict[Pid, ChildSpec] = field(default_factory=dict)  # insertion = start order
    restarting: dict[int, ChildSpec] = field(default_factory=dict)
    tokens: itertools.count = field(default_factory=itertools.count)

    @property
    def size(self) -> int:
        return len(self.children) + len(self.restarting)


class _DynamicSupervisorServer(GenServer):
    async def init(self, boot: _Boot) -> Ok | Stop | Ignore:
        Process.flag("trap_exit", True)
        spec = boot.spec
        if spec is None:
            spec = await spec_from_init(boot.module, boot.arg, DynamicSupervisorSpec)
            if isinstance(spec, (Ignore, Stop)):
                return spec
        return Ok(
            _State(
                name=boot.module.__qualname__ if boot.spec is None else self_pid(),
                spec=spec,
                intensity=RestartIntensity(spec.max_restarts, spec.max_seconds),
                clock=spec.clock or asyncio.get_running_loop().time,
            )
        )

    async def handle_call(self, request: Any, from_: Any, state: _State) -> Reply:
        match request:
            case ("start_child", spec):
                return Reply(await _start_new_child(state, spec), state)
            case ("terminate_child", pid):
                return Reply(await _terminate_child(state, pid), state)
            case ("which_children",):
                rows = [
                    ChildInfo(None, pid, spec.type, spec.modules)
                    for pid, spec in state.children.items()
                ]
                rows += [
                    ChildInfo(None, "restarting", spec.type, spec.modules)
                    for spec in state.restarting.values()
                ]
                return Reply(rows, state)
            case ("count_children",):
                specs = [*state.children.values(), *state.restarting.values()]
                supervisors = sum(1 for spec in specs if spec.type == "supervisor")
                return Reply(
                    ChildCounts(
                        len(specs), len(state.children), supervisors, len(specs) - supervisors
                    ),
                    state,
                )
        raise ValueError(f"unknown dynamic supervisor request {request!r}")

    async def handle_info(self, message: Any, state: _State) -> NoReply | Stop:
        match message:
            case Exit(pid, reason) if pid in state.children:
                spec = state.children.pop(pid)
                if exit_calls_for_restart(state.name, None, pid, spec.restart, reason):
                    return await _restart(state, spec)
            case _RetryRestart(token) if token in state.restarting:
                return await _restart(state, state.restarting.pop(token))
        return NoReply(state)

    async def terminate(self, reason: Any, state: _State) -> None:
        state.restarting.clear()
        children = [(pid, spec.shutdown_timeout) for pid, spec in state.children.items()]
        state.children.clear()
        await shutdown_children_together(children)


async def _start_new_child(state: _State, spec: ChildSpec) -> Any:
    if state.size >= state.spec.max_children:
        return MaxChildrenError(
            f"the dynamic supervisor already runs max_children={state.spec.max_children} "
            "children; raise max_children or stop some first"
        )
    started = await start_child(spec, *state.spec.extra_arguments)
    if isinstance(started, StartFailed):
        return StartError(started.reason)
    if started is not None:
        state.children[started] = spec
    return started


async def _terminate_child(state: _State, pid: Any) -> Any:
    spec = state.children.pop(pid, None)
    if spec is None:
        return SupervisorError("not_found", f"{pid!r} is not a child of this dynamic supervisor")
    await shutdown_child(pid, spec.shutdown_timeout)
    return None


async def _restart(state: _State, spec: ChildSpec) -> NoReply | Stop:
    if not restart_allowed("dynamic supervisor", state.name, state.intensity, state.clock()):
        return Stop("shutdown", state)
    started = await start_child(spec, *state.spec.extra_arguments)
    if isinstance(started, StartFailed):
        token = next(state.tokens)
        state.restarting[token] = spec
        log.error(
            "dynamic supervisor %r: restarting a child failed: %r; trying again",
            state.name,
            started.reason,
        )
        send(self_pid(), _RetryRestart(token))
    elif started is not None:
        state.children[started] = spec
    return NoReply(state)


class DynamicSupervisor:
    """OTP's DynamicSupervisor.

    ``sup = await DynamicSupervisor.start_link(max_children=100)``, then
    ``await DynamicSupervisor.start_child(sup, (Worker, arg))`` as often as needed. A subclass
    may instead define ``init(arg)`` returning ``DynamicSupervisor.init_spec(...)``.
    """

    _OPTION_NAMES: ClassVar[tuple[str, ...]] = (
        "strategy",
        "max_restarts",
        "max_seconds",
        "max_children",
        "extra_arguments",
        "clock",
    )

    async def init(self, arg: Any) -> DynamicSupervisorSpec | Ignore:
        """Return ``DynamicSupervisor.init_spec(...)``, or ``Ignore()`` not to start."""
        raise NotImplementedError(
            f"{type(self).__qualname__} must define `async def init(self, arg)` returning "
            "DynamicSupervisor.init_spec(...)"
        )

    @staticmethod
    def init_spec(
        *,
        strategy: Literal["one_for_one"] = "one_for_one",
        max_restarts: int = 3,
        max_seconds: float = 5.0,
        max_children: float = math.inf,
        extra_arguments: tuple[Any, ...] | list[Any] = (),
        clock: Clock | None = None,
    ) -> DynamicSupervisorSpec:
        """Check and bundle the options (Elixir's ``DynamicSupervisor.init/1``)."""
        if strategy != "one_for_one":
            raise ValueError(f'a DynamicSupervisor only supports "one_for_one", got {strategy!r}')
        if not max_children >= 0:
            raise ValueError(f"max_children must be >= 0, got {max_children!r}")
        RestartIntensity(max_restarts, max_seconds)  # validates the limits at the caller
        return DynamicSupervisorSpec(
            strategy, max_restarts, max_seconds, max_children, tuple(extra_arguments), clock
        )

    @classmethod
    async def start_link(
        cls, arg: Any = None, *, name: str | Any | None = None, **options: Any
    ) -> Pid | None:
        """Start a dynamic supervisor linked to the caller.

        On ``DynamicSupervisor`` itself the keywords are ``init_spec``'s options; on a
        subclass ``arg`` goes to ``init`` and the options belong in ``init_spec``.
        """
        unknown = set(options) - set(cls._OPTION_NAMES)
        if unknown:
            raise TypeError(f"unknown DynamicSupervisor options {sorted(unknown)}")
        if cls is DynamicSupervisor:
            boot = _Boot(cls, None, DynamicSupervisor.init_spec(**options))
        else:
            if options:
                raise TypeError(
                    f"{cls.__qualname__}.start_link: pass {sorted(options)} to "
                    "DynamicSupervisor.init_spec in init, not to start_link"
                )
            boot = _Boot(cls, arg, None)
        return await _DynamicSupervisorServer.start_link(boot, name=name)

    @classmethod
    def child_spec(cls, arg: Any = None, **overrides: Any) -> ChildSpec:
        """Run this dynamic supervisor as a child: type supervisor, shutdown infinity.

        On ``DynamicSupervisor`` itself, start options (``name``, ``max_children``...) may be
        mixed into ``overrides`` or given as a dict ``arg``:
        ``(DynamicSupervisor, {"name": "workers"})`` in a children list.
        """
        if cls is DynamicSupervisor and isinstance(arg, Mapping):
            overrides = {**arg, **overrides}
            arg = None
        return supervisor_child_spec(cls, arg, overrides, (*cls._OPTION_NAMES, "name"))

    @staticmethod
    async def start_child(sup: Any, child: Any) -> Pid | None:
        """Start one more child from ``child`` (any child-spec form; its id is ignored).

        Returns the pid, or None when the child's init returned Ignore; raises StartError
        when it failed and MaxChildrenError when the supervisor is full.
        """
        return await call_supervisor(sup, ("start_child", child_spec(child)))

    @staticmethod
    async def terminate_child(sup: Any, pid: Pid) -> None:
        """Stop the child ``pid`` (SupervisorError("not_found") if it is not a child)."""
        await call_supervisor(sup, ("terminate_child", pid))

    @staticmethod
    async def which_children(sup: Any) -> list[ChildInfo]:
        """Every child (``id`` is always None), in start order."""
        return await call_supervisor(sup, ("which_children",))

    @staticmethod
    async def count_children(sup: Any) -> ChildCounts:
        return await call_supervisor(sup, ("count_children",))

    @staticmethod
    async def stop(sup: Any, reason: Any = "normal", timeout: float = math.inf) -> None:
        """Stop the supervisor after all its children (stopped together)."""
        await GenServer.stop(sup, reason, timeout)
