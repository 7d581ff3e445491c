"""Every error the ``otp`` runtime raises, in one tree.

Elixir signals failure in two ways: an ``{:error, reason}`` return and an *exit* of the calling
process. Here both become exceptions that carry the Elixir reason as ``.reason`` (Python data:
strings for atoms, tuples for tagged tuples, the exception instance for a crash)::

    OTPError(Exception)
    ├── ExitError(reason)            the caller "exits": a failed call/await, a linked start failure
    │   ├── NoProcError              call/send to a dead pid or unregistered name ("noproc")
    │   ├── CallTimeoutError         GenServer.call / Task.await_ got no answer in time
    │   └── CallingSelfError         GenServer.call to oneself ("calling_self")
    ├── StartError(reason)           start/start_link: init returned Stop or raised
    │   └── AlreadyStartedError(pid) the name is already taken
    ├── SupervisorError(reason)      :running | :not_found | :restarting | :already_present ...
    │   └── MaxChildrenError
    ├── AlreadyRegisteredError(pid)  a unique name or Registry key is taken
    └── ConfigError                  Application.fetch_env of a missing key

An ``ExitError`` that escapes a process body makes that process exit with ``error.reason`` (not
with the exception as a crash), exactly as an uncaught ``exit/1`` does in Elixir.
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


class CallTimeoutError(ExitError):
    """A call got no reply in time; the reason is ``("timeout", (module, fun, args))``.

    The server keeps running and may still do the work; its late reply is dropped.
    """

    def __init__(
        self,
        server: Any,
        request: Any,
        timeout: float,
        *,
        module: str = "GenServer",
        function: str = "call",
    ) -> None:
        self.server = server
        self.request = request
        self.timeout = timeout
        super().__init__(
            ("timeout", (module, function, (server, request, timeout))),
            f"{module}.{function}({server!r}, {request!r}, timeout={timeout}) got no reply "
            f"within {timeout} s (timeout). The server is still running and its late reply "
            "will be dropped; make the handler faster, reply later with GenServer.reply, or "
            "pass a larger timeout.",
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
