"""Application: a named unit of start and stop, with dependencies and an environment.

An application is described by an ``AppSpec`` (Elixir's ``.app`` file: name, version,
dependencies, default env) and, unless it is a library, a callback class ``mod`` whose ``start``
returns the pid of its top supervisor. ``Application.start(app)`` runs it under an *application
master* process that owns the supervision tree; ``Application.stop(app)`` runs ``prep_stop``,
shuts the tree down (children in reverse start order) and then runs ``stop``.

Like Elixir, ``Application.start("shop")`` (on the class itself) is the function that starts an
application, while a subclass's ``async def start(self, start_type, args)`` is the callback;
both names live on the same class, so call the functions through ``Application`` itself.

Started applications are per event loop (they own processes); specs and the environment
(``otp.config``) are per interpreter. When an application's top supervisor exits on its own,
the application stops; what happens next depends on how it was started:

- ``"temporary"`` (default): it is reported and nothing else happens;
- ``"transient"``: if the reason is not ``"normal"``, every other application is stopped too;
- ``"permanent"``: every other application is stopped too.

Where Erlang would then halt the node, this runtime does not end the Python process (it may be
a notebook or a test run): it stops the applications and resolves
``await Application.wait_for_shutdown()``, so a service's ``main`` can exit non-zero.
"""

from __future__ import annotations

import asyncio
import logging
import math
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, TypeAlias

from otp import config
from otp._exceptions import ApplicationError, ExitError, StartError, format_reason
from otp._process import Down, Exit, Pid, Process, receive, spawn
from otp._returns import NoReply, Ok, Reply, Stop
from otp.config import RuntimeConfig
from otp.gen_server import GenServer

__all__ = [
    "AppInfo",
    "AppSpec",
    "Application",
    "ApplicationError",
    "RestartType",
]

logger = logging.getLogger("otp.application")

RestartType: TypeAlias = Literal["temporary", "transient", "permanent"]
_RESTART_TYPES = ("temporary", "transient", "permanent")


@dataclass(frozen=True)
class AppSpec:
    """What an application is: Elixir's ``.app`` resource, as data.

    ``mod`` is the callback class (or ``(class, args)``; args default to None); without it the
    application is a library: starting it only loads its env. ``applications`` are started
    before it by ``ensure_all_started`` and must be running for ``start``. ``env`` holds the
    defaults of its configuration; ``runtime_config`` maps config keys to OS environment
    variables read each time it starts (see ``otp.config``).
    """

    name: str
    mod: type[Application] | tuple[type[Application], Any] | None = None
    version: str = "0.1.0"
    description: str = ""
    applications: tuple[str, ...] = ()
    env: Mapping[str, Any] = field(default_factory=dict)
    runtime_config: RuntimeConfig = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise TypeError(f"an application name is a non-empty str; got {self.name!r}")
        object.__setattr__(self, "applications", tuple(self.applications))
        if self.name in self.applications:
            raise ValueError(f"application {self.name!r} lists itself in its applications")

    @property
    def callback(self) -> tuple[type[Application], Any] | None:
        if self.mod is None:
            return None
        if isinstance(self.mod, tuple):
            return self.mod
        return (self.mod, None)


@dataclass(frozen=True)
class AppInfo:
    """One running application, as ``started_applications`` lists it."""

    name: str
    description: str
    version: str


# -- per-loop state: which applications run, and their masters --------------------------------

_specs: dict[str, AppSpec] = {}


@dataclass
class _Running:
    spec: AppSpec
    type: RestartType
    master: Pid | None  # None for a library application


class _Controller:
    """The applications running on one event loop (Erlang's application_controller)."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.running: dict[str, _Running] = {}  # in start order
        self.shutdown: asyncio.Future[Any] = loop.create_future()


_controllers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Controller] = (
    weakref.WeakKeyDictionary()
)


def _controller() -> _Controller:
    loop = asyncio.get_running_loop()
    controller = _controllers.get(loop)
    if controller is None:
        controller = _controllers[loop] = _Controller(loop)
    return controller


# -- the application master ---------------------------------------------------------------------


@dataclass
class _MasterState:
    app: str
    callbacks: Application
    top: Pid
    state: Any
    controller: _Controller


class _AppMaster(GenServer):
    """Runs the ``start`` callback, is linked to the top supervisor, and runs the stop
    sequence, whether the stop is asked for or the supervisor died."""

    async def init(self, arg: tuple[AppSpec, str, _Controller]) -> Ok | Stop:
        spec, start_type, controller = arg
        mod, args = spec.callback  # type: ignore[misc]
        Process.flag("trap_exit", True)
        callbacks = mod()
        try:
            started = await callbacks.start(start_type, args)
        except StartError as error:
            return Stop((error.reason, (mod, "start", (start_type, args))))
        except Exception as error:
            return Stop((error, (mod, "start", (start_type, args))))
        match started:
            case (top, state):
                pass
            case top:
                state = None
        if not isinstance(top, Pid):
            return Stop((("bad_return", started), (mod, "start", (start_type, args))))
        Process.link(top)  # already linked by start_link; also covers a top started unlinked
        return Ok(_MasterState(spec.name, callbacks, top, state, controller))

    async def handle_call(self, request: Any, from_: Any, s: _MasterState) -> Reply | Stop:
        if request != "stop":
            raise ValueError(f"unknown application master request {request!r}")
        state = await s.callbacks.prep_stop(s.state)
        ref = Process.monitor(s.top)
        Process.exit(s.top, "shutdown")
        await receive(lambda m: type(m) is Down and m.ref is ref)
        await s.callbacks.stop(state)
        return Stop("normal", s, reply="ok")

    async def handle_info(self, message: Any, s: _MasterState) -> NoReply | Stop:
        match message:
            case Exit(pid, reason) if pid is s.top:
                try:
                    await s.callbacks.stop(await s.callbacks.prep_stop(s.state))
                finally:  # even if a callback raises, the application has exited
                    _app_exited(s.controller, s.app, reason)
                return Stop("normal", s)
        return NoReply(s)


def _app_exited(controller: _Controller, app: str, reason: Any) -> None:
    """The top supervisor of ``app`` exited on its own: apply the app's restart type."""
    running = controller.running.pop(app, None)
    if running is None:
        return
    takes_all_down = running.type == "permanent" or (
        running.type == "transient" and reason != "normal"
    )
    log = logger.error if takes_all_down or reason not in ("normal", "shutdown") else logger.info
    log("application %r exited: %s (started as %s)", app, format_reason(reason), running.type)
    if takes_all_down:
        why = ("application_terminated", app, reason)
        logger.error("stopping every application: %r is %s and it exited", app, running.type)
        spawn(_stop_everything, controller, why)


async def _stop_everything(controller: _Controller, reason: Any) -> None:
    for name in reversed(list(controller.running)):
        try:
            await _stop(name)
        except Exception:
            logger.exception("stopping application %r failed", name)
    if not controller.shutdown.done():
        controller.shutdown.set_result(reason)


# -- the functions ------------------------------------------------------------------------------


def _load(spec: AppSpec) -> None:
    _specs[spec.name] = spec
    config._load_defaults(spec.name, spec.env)


def _spec_of(app: str | AppSpec) -> AppSpec:
    if isinstance(app, AppSpec):
        _load(app)
        return app
    spec = _specs.get(app)
    if spec is None:
        raise ApplicationError(
            ("not_loaded", app),
            f"application {app!r} is not loaded: pass its AppSpec to Application.start / "
            "ensure_all_started, or call Application.load(AppSpec(...)) first",
        )
    return spec


async def _start(app: str | AppSpec, type: RestartType = "temporary") -> None:
    """Start ``app`` (a name, or an AppSpec, which is loaded first).

    Its dependencies must be running (``ApplicationError(("not_started", dep))``); starting it
    twice raises ``ApplicationError(("already_started", app))``. ``runtime_config`` is read from the
    environment variables now, then ``mod.start("normal", args)`` runs in a new application
    master process. ``type`` decides what its exit does to the others (see the module docs).
    """
    if type not in _RESTART_TYPES:
        raise ValueError(f"restart type must be one of {_RESTART_TYPES}; got {type!r}")
    spec = _spec_of(app)
    controller = _controller()
    if spec.name in controller.running:
        raise ApplicationError(
            ("already_started", spec.name),
            f"application {spec.name!r} is already started (already_started)",
        )
    for dependency in spec.applications:
        if dependency not in controller.running:
            raise ApplicationError(
                ("not_started", dependency),
                f"application {spec.name!r} needs {dependency!r}, which is not started; use "
                f"Application.ensure_all_started({spec.name!r}) to start dependencies first",
            )
    config.config_from_env(spec.name, spec.runtime_config)
    master = None
    if spec.callback is not None:
        try:
            master = await _AppMaster.start((spec, "normal", controller))
        except StartError as error:
            raise ApplicationError(
                error.reason,
                f"application {spec.name!r} failed to start: {format_reason(error.reason)}",
            ) from None
    controller.running[spec.name] = _Running(spec, type, master)


async def _stop(app: str) -> None:
    """Stop ``app``: ``prep_stop``, the tree stops (newest child first), ``stop``."""
    controller = _controller()
    running = controller.running.get(app)
    if running is None:
        raise ApplicationError(("not_started", app), f"application {app!r} is not started")
    del controller.running[app]
    if running.master is not None:
        try:
            await GenServer.call(running.master, "stop", timeout=math.inf)
        except ExitError as error:
            # The top supervisor died at the same moment and the master ran the stop
            # callbacks for that instead; anything else is a real failure.
            if error.reason not in ("noproc", "normal"):
                raise
    logger.info("application %r exited: stopped", app)


def _start_order(spec: AppSpec, chain: tuple[str, ...], order: list[AppSpec]) -> None:
    if spec.name in chain:
        cycle = (*chain[chain.index(spec.name):], spec.name)
        raise ApplicationError(
            ("circular_dependency", cycle),
            f"applications depend on each other in a circle: {' -> '.join(cycle)}",
        )
    for dependency in spec.applications:
        _start_order(_spec_of(dependency), (*chain, spec.name), order)
    if all(s.name != spec.name for s in order):
        order.append(spec)


async def _ensure_all_started(app: str | AppSpec, type: RestartType = "temporary") -> list[str]:
    """Start ``app`` after its dependencies (depth first), skipping those already running.

    Returns the names it started, in start order. If one fails, those it started are stopped
    again (newest first) and the error is raised.
    """
    order: list[AppSpec] = []
    _start_order(_spec_of(app), (), order)
    controller = _controller()
    started: list[str] = []
    try:
        for spec in order:
            if spec.name not in controller.running:
                await _start(spec.name, type)
                started.append(spec.name)
    except BaseException:
        for name in reversed(started):
            await _stop(name)
        raise
    return started


def _started_applications() -> list[AppInfo]:
    """The running applications, most recently started first."""
    return [
        AppInfo(r.spec.name, r.spec.description, r.spec.version)
        for r in reversed(_controller().running.values())
    ]


class _FunctionOrCallback:
    """``Application.start`` is the management function; ``self.start`` the callback."""

    def __init__(self, function: Callable[..., Any], callback: Callable[..., Any]) -> None:
        self.function = function
        self.callback = callback
        self.__doc__ = function.__doc__

    def __get__(self, instance: Any, owner: type | None = None) -> Any:
        if instance is None:
            return self.function
        return self.callback.__get__(instance, owner)


async def _default_start(self: Application, start_type: str, args: Any) -> Pid:
    raise NotImplementedError(
        f"{type(self).__qualname__} must define `async def start(self, start_type, args)` "
        "returning the pid of its top supervisor"
    )


async def _default_stop(self: Application, state: Any) -> None:
    return None


class Application:
    """Base class of application callback modules, and Elixir's ``Application`` functions.

    Subclass it and define ``async def start(self, start_type, args)`` returning the top
    supervisor's pid (or ``(pid, state)``); optionally ``prep_stop(state)`` (before the tree
    stops; returns the state for ``stop``) and ``stop(state)`` (after it stopped).
    """

    start = _FunctionOrCallback(_start, _default_start)
    stop = _FunctionOrCallback(_stop, _default_stop)

    async def prep_stop(self, state: Any) -> Any:
        """Callback: runs before the supervision tree stops; returns the state for ``stop``."""
        return state

    # -- functions (call them on Application itself) ---------------------------------------

    @staticmethod
    def load(spec: AppSpec) -> None:
        """Make ``spec`` known by name and fill in its default env (earlier ``put_env`` wins).

        Loading again replaces the spec, so a notebook cell can redefine an application.
        """
        _load(spec)

    ensure_all_started = staticmethod(_ensure_all_started)
    started_applications = staticmethod(_started_applications)

    @staticmethod
    async def wait_for_shutdown() -> Any:
        """Wait until a permanent (or abnormally exited transient) application took every
        application down; returns ``("application_terminated", app, reason)``."""
        return await asyncio.shield(_controller().shutdown)

    get_env = staticmethod(config.get_env)
    fetch_env = staticmethod(config.fetch_env)
    put_env = staticmethod(config.put_env)
    delete_env = staticmethod(config.delete_env)
    all_env = staticmethod(config.all_env)
    config_from_env = staticmethod(config.config_from_env)
