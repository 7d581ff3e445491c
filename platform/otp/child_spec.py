"""Child specifications: how a supervisor starts, restarts and stops one child.

Elixir accepts a child as a map, a module, or a ``{module, arg}`` tuple and normalises it with
``Supervisor.child_spec/2``; :func:`child_spec` does the same for Python (a :class:`ChildSpec`,
a class with a ``child_spec`` classmethod, a ``(class, arg)`` pair, or a dict). Supervisor,
DynamicSupervisor and TaskSupervisor all read children through this one module.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import math
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

from otp._exceptions import InvalidChildSpecError

if TYPE_CHECKING:
    from otp._process import Pid

__all__ = [
    "DEFAULT_WORKER_SHUTDOWN",
    "ChildSpec",
    "InvalidChildSpecError",
    "Restart",
    "Shutdown",
    "child_spec",
]

Restart: TypeAlias = Literal["permanent", "transient", "temporary"]
ChildType: TypeAlias = Literal["worker", "supervisor"]
Shutdown: TypeAlias = float | int | Literal["brutal_kill", "infinity"] | None
StartFunction: TypeAlias = Callable[..., "Awaitable[Pid | None] | Pid | None"]

DEFAULT_WORKER_SHUTDOWN = 5.0
"""Seconds a worker gets to run ``terminate`` before it is killed (Elixir: 5000 ms)."""

_RESTARTS = ("permanent", "transient", "temporary")
_TYPES = ("worker", "supervisor")
_FIELDS = ("id", "start", "restart", "shutdown", "type")


@dataclass(frozen=True)
class ChildSpec:
    """One child of a supervisor, as Elixir's child spec map.

    ``start`` is ``(function, args)``; the function (usually ``async def``, such as
    ``GenServer.start_link``) must start a process linked to the caller (the supervisor) and
    return its pid, or ``None`` for ``:ignore``. A bare callable is
    accepted and means "no arguments". ``shutdown=None`` picks the OTP default for the
    child's ``type``: 5.0 seconds for a worker, infinity for a supervisor.
    """

    id: Any
    start: tuple[StartFunction, tuple[Any, ...]]
    restart: Restart = "permanent"
    shutdown: Shutdown = None
    type: ChildType = "worker"

    def __post_init__(self) -> None:
        start = self.start
        if callable(start):
            start = (start, ())
        if not (isinstance(start, tuple | list) and len(start) == 2 and callable(start[0])):
            raise InvalidChildSpecError(self, "start must be (function, args)")
        fn, args = start
        if not isinstance(args, tuple | list):
            raise InvalidChildSpecError(self, "the args of start must be a tuple")
        object.__setattr__(self, "start", (fn, tuple(args)))
        if self.restart not in _RESTARTS:
            raise InvalidChildSpecError(self, f"restart must be one of {_RESTARTS}")
        if self.type not in _TYPES:
            raise InvalidChildSpecError(self, f"type must be one of {_TYPES}")
        if not _valid_shutdown(self.shutdown):
            raise InvalidChildSpecError(
                self, 'shutdown must be seconds >= 0, "brutal_kill", "infinity" or None'
            )

    @property
    def shutdown_timeout(self) -> float | Literal["brutal_kill"]:
        """The shutdown to apply: seconds (``math.inf`` for infinity) or ``"brutal_kill"``."""
        match self.shutdown:
            case None:
                return math.inf if self.type == "supervisor" else DEFAULT_WORKER_SHUTDOWN
            case "infinity":
                return math.inf
            case "brutal_kill":
                return "brutal_kill"
            case seconds:
                return float(seconds)

    @property
    def modules(self) -> tuple[Any, ...]:
        """What Elixir's ``modules`` key defaults to: the class whose function starts the child."""
        fn = self.start[0]
        while isinstance(fn, functools.partial):
            fn = fn.func
        owner = getattr(fn, "__self__", None)
        if isinstance(owner, type):
            return (owner,)
        return (fn,)

    async def start_child(self, *extra_arguments: Any) -> Pid | None:
        """Run the start function (``extra_arguments`` first, as DynamicSupervisor prepends).

        A plain function returning the pid is accepted as well as an ``async def`` one.
        """
        fn, args = self.start
        started = fn(*extra_arguments, *args)
        if inspect.isawaitable(started):
            started = await started
        return started


def _valid_shutdown(shutdown: object) -> bool:
    if shutdown is None or shutdown in ("brutal_kill", "infinity"):
        return True
    if isinstance(shutdown, bool) or not isinstance(shutdown, int | float):
        return False
    return shutdown >= 0


def child_spec(child: object, **overrides: Any) -> ChildSpec:
    """Normalise ``child`` to a :class:`ChildSpec`, then apply ``overrides`` (Elixir's
    ``Supervisor.child_spec/2``).

    Accepted forms: a ``ChildSpec``; a class with a ``child_spec`` classmethod (called with no
    argument, so the class's own default applies); ``(class, arg)``; a dict with the
    ``ChildSpec`` field names.
    """
    spec = _normalise(child)
    if not overrides:
        return spec
    unknown = set(overrides) - set(_FIELDS)
    if unknown:
        raise InvalidChildSpecError(child, f"unknown override keys {sorted(unknown)}")
    return dataclasses.replace(spec, **overrides)


def _normalise(child: object) -> ChildSpec:
    match child:
        case ChildSpec():
            return child
        case Mapping():
            unknown = set(child) - set(_FIELDS)
            if unknown:
                raise InvalidChildSpecError(child, f"unknown keys {sorted(unknown)}")
            missing = {"id", "start"} - set(child)
            if missing:
                raise InvalidChildSpecError(child, f"missing required keys {sorted(missing)}")
            return ChildSpec(**child)
        case (type() as module, arg):
            return _from_module(child, module, (arg,))
        case type() as module:
            return _from_module(child, module, ())
        case _:
            raise InvalidChildSpecError(
                child, "expected a ChildSpec, a class with child_spec, (class, arg) or a dict"
            )


def _from_module(child: object, module: type, args: tuple[Any, ...]) -> ChildSpec:
    make = getattr(module, "child_spec", None)
    if make is None:
        raise InvalidChildSpecError(child, f"{module.__qualname__} has no child_spec classmethod")
    spec = make(*args)
    if isinstance(spec, Mapping):
        spec = _normalise(spec)
    if not isinstance(spec, ChildSpec):
        raise InvalidChildSpecError(
            child, f"{module.__qualname__}.child_spec returned {spec!r}, not a ChildSpec"
        )
    return spec
