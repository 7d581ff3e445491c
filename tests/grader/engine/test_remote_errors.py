"""Remote exceptions become the grader's own classes, chosen from an allowlist."""

from __future__ import annotations

import otp
import pytest

from grader.engine.remote_errors import (
    RemoteBaseException,
    RemoteError,
    SandboxUnavailable,
    to_trusted_exception,
)


def report(name: str, module: str, mro: list[tuple[str, str]], message: str = "m", reason=None):
    chain = [[name, module], *[[n, m] for n, m in mro]]
    return {"type": name, "module": module, "mro": chain, "message": message, "reason": reason}


def test_a_builtin_exception_is_raised_as_the_builtin_class():
    error = to_trusted_exception(
        report("KeyError", "builtins", [("LookupError", "builtins"), ("Exception", "builtins")]),
        lambda data: data,
    )
    assert type(error) is KeyError
    assert error.remote_type == "KeyError"


def test_a_learners_subclass_arrives_as_its_nearest_allowlisted_base():
    error = to_trusted_exception(
        report("StackEmpty", "stack", [("ValueError", "builtins"), ("Exception", "builtins")]),
        lambda data: data,
    )
    assert type(error) is ValueError
    assert error.remote_type == "StackEmpty"


def test_an_otp_exception_is_raised_as_the_graders_otp_class_with_its_reason():
    error = to_trusted_exception(
        report(
            "CallTimeoutError", "otp._exceptions",
            [("ExitError", "otp._exceptions"), ("OTPError", "otp._exceptions"),
             ("Exception", "builtins")],
            reason=("timeout", "call"),
        ),
        lambda data: data,
    )
    assert type(error) is otp.CallTimeoutError
    assert error.reason == ("timeout", "call")
    with pytest.raises(otp.ExitError):
        raise error


def test_a_name_from_another_module_is_not_trusted():
    error = to_trusted_exception(
        report("KeyError", "evil", [("Exception", "builtins")]), lambda data: data
    )
    assert type(error) is RemoteError


def test_system_exit_and_friends_are_not_catchable_as_exception():
    error = to_trusted_exception(
        report("SystemExit", "builtins", [("BaseException", "builtins")]), lambda data: data
    )
    assert isinstance(error, RemoteBaseException)
    assert not isinstance(error, Exception)


def test_a_malformed_report_means_the_sandbox_is_unavailable():
    assert isinstance(to_trusted_exception({"type": 3}, lambda d: d), SandboxUnavailable)
    assert isinstance(to_trusted_exception("boom", lambda d: d), SandboxUnavailable)


@pytest.mark.parametrize(
    "name", sorted(name for name in otp.__all__
                   if isinstance(getattr(otp, name), type)
                   and issubclass(getattr(otp, name), otp.OTPError))
)
def test_every_exported_otp_error_crosses_as_the_graders_own_class(name):
    error = to_trusted_exception(
        report(name, "otp._exceptions", [("OTPError", "otp._exceptions"),
                                         ("Exception", "builtins")]),
        lambda data: data,
    )
    assert type(error) is getattr(otp, name)
