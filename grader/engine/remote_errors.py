"""Exceptions from the sandbox, re-raised as the trusted process's own classes.

The agent reports an exception as data: type name, module, base classes, message, `reason`.
Here that data becomes an instance of a class the *grader* already has, chosen from a fixed
allowlist (builtin exceptions and the `otp` exception tree) by walking the reported base
classes; nothing named by the sandbox is ever imported or created. So
`pytest.raises(otp.CallTimeoutError)` and `pytest.raises(KeyError)` work in a test, while a
learner's `class Oops(Exception)` arrives as `RemoteError`.

Failures of the sandbox itself derive from `BaseException`, not `Exception`, so a test's
`pytest.raises(Exception)` or `except Exception` can never turn a crash into a pass; the
runner also marks the test as failed whenever one was raised in it (see `TestContext`).
"""

from __future__ import annotations

import builtins
from collections.abc import Callable
from typing import Any

_BUILTIN_ALLOWLIST = frozenset({
    "ArithmeticError", "AssertionError", "AttributeError", "BufferError", "EOFError",
    "Exception", "FloatingPointError", "IndexError", "KeyError", "LookupError", "MemoryError",
    "NameError", "NotImplementedError", "OverflowError", "RecursionError", "ReferenceError",
    "RuntimeError", "TimeoutError", "TypeError", "UnboundLocalError", "UnicodeError",
    "ValueError", "ZeroDivisionError",
})


class RemoteError(Exception):
    """The learner's code raised an exception of a type the grader does not know."""

    remote_type: str = "Exception"


class SandboxUnavailable(BaseException):
    """The sandbox stopped answering properly: it died, closed the channel, sent a malformed
    or unexpected frame, or the whole run's time is up. The waiting test fails."""


class TestTimedOut(BaseException):
    """The test's own time limit passed while it waited for the sandbox."""

    __test__ = False  # not a pytest test class


class RemoteBaseException(BaseException):
    """The learner's code raised SystemExit, KeyboardInterrupt or another BaseException;
    it must not be catchable as an ordinary `Exception` by a test."""

    remote_type: str = "BaseException"


def _otp_class(name: str) -> type[BaseException] | None:
    """The trusted `otp`'s exported exception of that name: the whole tree is allowed, as it
    grows, and naming it gains the learner nothing they could not get by raising it."""
    try:
        import otp
    except ImportError:
        return None
    candidate = getattr(otp, name, None)
    base = getattr(otp, "OTPError", None)
    if isinstance(candidate, type) and isinstance(base, type) and issubclass(candidate, base):
        return candidate
    return None


def trusted_class(mro: list[Any]) -> tuple[type[BaseException], bool]:
    """The allowlisted class for a reported MRO, and whether it is the exact reported type."""
    is_base_exception_only = True
    for position, entry in enumerate(mro):
        if not (isinstance(entry, list) and len(entry) == 2):
            continue
        name, module = entry
        if not (isinstance(name, str) and isinstance(module, str)):
            continue
        if name == "Exception" and module == "builtins":
            is_base_exception_only = False
        if module == "builtins" and name in _BUILTIN_ALLOWLIST and name != "Exception":
            return getattr(builtins, name), position == 0
        if module == "otp" or module.startswith("otp."):
            cls = _otp_class(name)
            if cls is not None:
                return cls, position == 0
    if is_base_exception_only and mro:
        return RemoteBaseException, False
    return RemoteError, False


def to_trusted_exception(error: Any, decode_reason: Callable[[Any], Any]) -> BaseException:
    """Build the trusted exception for an error report; a malformed report is unavailability."""
    if not isinstance(error, dict):
        return SandboxUnavailable("malformed error report from the sandbox")
    name = error.get("type")
    message = error.get("message")
    mro = error.get("mro")
    if not isinstance(name, str) or not isinstance(message, str) or not isinstance(mro, list):
        return SandboxUnavailable("malformed error report from the sandbox")
    if name == "StaleReference":
        return RemoteError(message)
    cls, _exact = trusted_class(mro)
    exc = cls.__new__(cls)
    BaseException.__init__(exc, message)
    exc.remote_type = name  # type: ignore[attr-defined]
    if cls.__module__.startswith("otp"):
        exc.reason = decode_reason(error.get("reason"))  # type: ignore[attr-defined]
    return exc
