"""Every error the ``otp`` runtime raises, in one tree, defined here and exported from ``otp``.

Elixir signals failure in two ways: an ``{:error, reason}`` return and an *exit* of the calling
process. Here both become exceptions that carry the Elixir reason as ``.reason`` (Python data:
strings for atoms, tuples for tagged tuples, the exception instance for a crash)::

    OTPError(Exception)
    ├── ExitError(reason)                the caller "exits": a failed call/await, a linked start
    │   ├── NoProcError                  call/send to a dead pid or unregistered name ("noproc")
    │   ├── CallTimeoutError             GenServer.call/stop, Task.await_... got no answer in time
    │   └── CallingSelfError             GenServer.call to oneself ("calling_self")
    ├── StartError(reason)               start/start_link: init returned Stop or raised
    │   └── AlreadyStartedError(pid)     the name is already taken
    ├── SupervisorError(reason)          :running | :not_found | :restarting | :already_present ...
    │   └── MaxChildrenError             a DynamicSupervisor is full
    ├── InvalidChildSpecError (+ValueError)  a malformed child spec, raised where it is declared
    ├── NotTaskOwnerError                a task awaited/yielded/shut down by another process
    ├── AlreadyRegisteredError(pid)      a unique name or Registry key is taken
    ├── RegistryError(reason)            a Registry refused an operation
    │   └── UnknownRegistryError         no Registry runs under that name on this loop
    │       └── UnknownPubSubError       no PubSub runs under that name on this loop
    ├── ApplicationError(reason)         Application.start/stop failed (not_started, ...)
    ├── ConfigError                      Application.fetch_env of a missing key
    └── TelemetryError(reason)           attaching/detaching a telemetry handler failed
        ├── HandlerExistsError           the handler id is taken ("already_exists")
        ├── HandlerNotFoundError         no handler has that id ("not_found")
        └── MissingTagError (+KeyError)  an event lacks a metric's tag; the metric is detached

An ``ExitError`` that escapes a process body makes that process exit with ``error.reason`` (not
with the exception as a crash), exactly as an uncaught ``exit/1`` does in Elixir.

The classes live here, not beside the code that raises them, so that this module imports nothing
from the rest of ``otp`` and every layer can raise any of them without an import cycle.
"""

from __future__ import annotations

from typing import Any


def format_reason(reason: Any) -> str:
    """Render an exit reason the way a learner reads it in Elixir's logs."""
    if isinstance(reason, BaseException):
        return f"{type(reason).__name__}({', '.join(repr(a) for a in reason.args)})"
    return repr(reason)


class OTPError(Exception):
    """Base class of every error raised by the ``otp`` runtime."""


class ExitError(OTPError):
    """The calling process exits with ``reason``, as ``exit/1`` does in Elixir.

    Raised by ``otp.exit(reason)`` and by operations whose Elixir counterpart makes the caller
    exit (a call to a server that died, a linked start that failed). Uncaught inside a process,
    it ends that process with ``reason``; catch it to survive, like ``catch :exit, reason``.
    """

    def __init__(self, reason: Any, message: str | None = None) -> None:
        self.reason = reason
        super().__init__(message or f"process exited with reason {format_reason(reason)}")


class NoProcError(ExitError):
    """The target pid is dead or the name is not registered (Elixir's ``:noproc``)."""

    def __init__(self, target: Any = None, operation: str = "send") -> None:
        self.target = target
        super().__init__(
            "noproc",
            f"{operation} to {target!r} failed: no process is alive under that pid or name "
            "(noproc). Start it first, or check that it has not exited.",
        )


_TIMEOUT_ADVICE = {
    "GenServer.call": "The server is still running and its late reply will be dropped; make the "
    "handler faster, reply later with GenServer.reply, or pass a larger timeout.",
    "GenServer.stop": "The server is still running its terminate callback; make terminate "
    "faster, or pass a larger timeout.",
}
_TASK_ADVICE = (
    "The task is still running; give it a larger timeout, poll it with Task.yield_, or stop it "
    "with Task.shutdown."
)


class CallTimeoutError(ExitError):
    """A call got no answer in time; ``call`` names it and ``reason`` is Elixir's exit reason.

    ``call`` is ``"Module.function"`` as the learner wrote it: ``"GenServer.call"`` (the
    default), ``"GenServer.stop"``, ``"Task.await_"``, ``"Task.await_many"``,
    ``"Task.async_stream"``. ``reason`` is ``("timeout", (module, function, args))`` where
    ``args`` are the call's arguments: ``(server, request, timeout)`` for a request to a
    server, ``(task, timeout)`` for a Task call (which has no request; pass ``request=None``).
    The callee keeps running and may still do the work; a late reply is dropped.
    """

    def __init__(
        self,
        server: Any,
        request: Any,
        timeout: float | None,
        *,
        call: str = "GenServer.call",
    ) -> None:
        self.server = server
        self.request = request
        self.timeout = timeout
        self.call = call
        module, _, function = call.partition(".")
        if module == "Task":
            args: tuple[Any, ...] = (server, timeout)
            advice = _TASK_ADVICE
        else:
            args = (server, request, timeout)
            advice = _TIMEOUT_ADVICE.get(call, _TIMEOUT_ADVICE["GenServer.call"])
        shown = ", ".join(repr(arg) for arg in args[:-1])
        super().__init__(
            ("timeout", (module, function, args)),
            f"{call}({shown}, timeout={timeout}) got no answer within {timeout} s (timeout). "
            + advice,
        )


class CallingSelfError(ExitError):
    """A GenServer called itself, which could only deadlock (``:calling_self``)."""

    def __init__(self, server: Any, request: Any) -> None:
        self.server = server
        self.request = request
        super().__init__(
            "calling_self",
            f"GenServer.call({server!r}, {request!r}) was made by the server itself "
            "(calling_self): a process cannot wait for its own reply. Call a helper function "
            "directly instead.",
        )


class StartError(OTPError):
    """``start``/``start_link`` failed: ``init`` returned ``Stop(reason)`` or raised."""

    def __init__(self, reason: Any, message: str | None = None) -> None:
        self.reason = reason
        super().__init__(message or f"process failed to start: {format_reason(reason)}")


class AlreadyStartedError(StartError):
    """The name given to ``start``/``start_link`` already belongs to a live process."""

    def __init__(self, pid: Any, name: Any = None) -> None:
        self.pid = pid
        self.name = name
        super().__init__(
            ("already_started", pid),
            f"a process is already registered as {name!r}: {pid!r} (already_started). "
            "Use the running one, or stop it before starting another.",
        )


class SupervisorError(OTPError):
    """A supervisor refused a child operation; ``reason`` is Elixir's error atom or tuple."""

    def __init__(self, reason: Any, message: str | None = None) -> None:
        self.reason = reason
        super().__init__(message or f"supervisor refused the operation: {format_reason(reason)}")


class MaxChildrenError(SupervisorError):
    """A DynamicSupervisor already runs ``max_children`` children."""

    def __init__(self, message: str | None = None) -> None:
        super().__init__("max_children", message or "the supervisor has reached max_children")


class AlreadyRegisteredError(OTPError):
    """A unique name (or unique Registry key) already belongs to the live process ``pid``."""

    def __init__(self, pid: Any, key: Any = None, message: str | None = None) -> None:
        self.pid = pid
        self.key = key
        self.reason = ("already_registered", pid)
        super().__init__(
            message or f"{key!r} is already registered to {pid!r} (already_registered)"
        )


class ConfigError(OTPError):
    """A configuration key was fetched but never set."""


class InvalidChildSpecError(OTPError, ValueError):
    """A child given to a supervisor cannot be turned into a ``ChildSpec``.

    Raised where the child is declared (``Supervisor.start_link``, ``init_spec``,
    ``start_child``), like Elixir's ``ArgumentError`` for a malformed child spec, so the mistake
    is reported at the line that made it rather than when the child first crashes.
    """

    def __init__(self, child: object, problem: str) -> None:
        super().__init__(f"invalid child spec {child!r}: {problem}")
        self.child = child
        self.problem = problem


class NotTaskOwnerError(OTPError):
    """A task was awaited, yielded or shut down by a process other than the one that
    started it; only the owner receives the task's reply (Elixir raises ``ArgumentError``)."""

    def __init__(self, task: Any, caller: Any) -> None:
        self.task = task
        self.caller = caller
        super().__init__(
            f"{task!r} belongs to {task.owner!r} and can only be awaited by it, but "
            f"{caller!r} tried; send the task to its owner or start it in this process"
        )


class RegistryError(OTPError):
    """A registry refused an operation; ``reason`` names the problem."""

    def __init__(self, reason: Any, message: str) -> None:
        self.reason = reason
        super().__init__(message)


class UnknownRegistryError(RegistryError):
    """No registry runs under this name on this event loop (not started, or it exited)."""

    def __init__(self, name: Any) -> None:
        self.name = name
        super().__init__(
            ("unknown_registry", name),
            f"no registry named {name!r} is running on this event loop; start it first with "
            f"Registry.start_link(keys='unique', name={name!r}) (or put Registry.child_spec(...) "
            "in your supervision tree before the processes that use it)",
        )


class UnknownPubSubError(UnknownRegistryError):
    """No PubSub runs under this name on this event loop."""

    def __init__(self, name: Any) -> None:
        RegistryError.__init__(
            self,
            ("unknown_pubsub", name),
            f"no PubSub named {name!r} is running on this event loop; start it first with "
            f"PubSub.start_link(name={name!r}) (or put PubSub.child_spec(name={name!r}) in "
            "your supervision tree before its subscribers)",
        )
        self.name = name


class ApplicationError(OTPError):
    """Starting or stopping an application failed; ``reason`` is Elixir's error term.

    ``("already_started", app)``, ``("not_started", app)``, ``("not_loaded", app)``,
    ``("circular_dependency", chain)``, or ``(exit_reason, (mod, "start", (type, args)))`` when
    the ``start`` callback failed.
    """

    def __init__(self, reason: Any, message: str) -> None:
        self.reason = reason
        super().__init__(message)


class TelemetryError(OTPError):
    """Attaching or detaching a telemetry handler failed; ``reason`` says why."""

    def __init__(self, reason: str, message: str) -> None:
        self.reason = reason
        super().__init__(message)


class HandlerExistsError(TelemetryError):
    """A handler with this id is already attached (``{:error, :already_exists}``)."""

    def __init__(self, handler_id: Any) -> None:
        self.handler_id = handler_id
        super().__init__(
            "already_exists",
            f"a telemetry handler with id {handler_id!r} is already attached; detach it first "
            "or choose a unique id",
        )


class HandlerNotFoundError(TelemetryError):
    """No handler with this id is attached (``{:error, :not_found}``)."""

    def __init__(self, handler_id: Any) -> None:
        self.handler_id = handler_id
        super().__init__(
            "not_found",
            f"no telemetry handler with id {handler_id!r} is attached (it may have been "
            "detached after raising; see the otp.telemetry log)",
        )


class MissingTagError(TelemetryError, KeyError):
    """An event's metadata lacks a tag its metric needs.

    Raised inside the metric's handler, so the caller of ``execute`` never sees it: the handler
    is detached and the error logged (telemetry's rule for a failing handler). It stays a
    ``KeyError`` because that is what a missing metadata key is.
    """

    def __init__(self, metric_name: str, tag: str, event: Any) -> None:
        self.metric_name = metric_name
        self.tag = tag
        self.event = event
        super().__init__(
            "missing_tag",
            f"metric {metric_name!r} needs tag {tag!r}, but event {event!r} has no such "
            "metadata key; add it to the metadata, or derive it with tag_values=",
        )

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])
