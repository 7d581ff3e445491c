"""The public surface of `grader.sandbox` is chosen on purpose: this guards it."""

from __future__ import annotations

import grader.sandbox


def test_the_public_names_are_exactly_these():
    assert sorted(grader.sandbox.__all__) == sorted([
        "ISOLATION_ENV", "MAX_FRAME_BYTES", "Channel", "ChannelClosed", "ChannelError",
        "ChannelTimeout", "Isolation", "Limits", "SandboxError", "SandboxExit",
        "SandboxLauncher", "SandboxSetupError", "SandboxedProcess", "SubmissionFilesError",
        "SyncChannel", "ZygoteError",
    ])
    for name in grader.sandbox.__all__:
        assert getattr(grader.sandbox, name) is not None


def test_every_sandbox_error_is_one_exception_family():
    errors = [grader.sandbox.SandboxSetupError, grader.sandbox.ZygoteError,
              grader.sandbox.SubmissionFilesError, grader.sandbox.ChannelError,
              grader.sandbox.ChannelClosed, grader.sandbox.ChannelTimeout]
    assert all(issubclass(error, grader.sandbox.SandboxError) for error in errors)
    assert issubclass(grader.sandbox.ChannelTimeout, TimeoutError)
