"""Isolated processes for untrusted learner code; knows nothing about exercises or tests.

Layers, inner to outer:

- ``channel``: the length-prefixed JSON frame channel (async `Channel`, blocking `SyncChannel`).
- ``_linux``, ``_rootfs``, ``_init``, ``_monitor``: building one sandbox (namespaces, a minimal
  read-only root, the learner's identity, rlimits) in the processes that run it.
- ``zygote`` / ``child``: the warm and the cold way to start a monitor.
- ``launcher``: `SandboxLauncher` and `SandboxedProcess`, what the grading engine uses.
- ``bench``: spawn latency, warm against cold (`python -m grader.sandbox.bench`).

docs/grading-security.md ("Isolation") says what each layer stops and what it does not.
"""

from grader.sandbox._errors import (
    ChannelClosed,
    ChannelError,
    ChannelTimeout,
    SandboxError,
    SandboxSetupError,
    SubmissionFilesError,
    ZygoteError,
)
from grader.sandbox._types import Isolation, Limits, SandboxExit
from grader.sandbox.channel import MAX_FRAME_BYTES, Channel, SyncChannel
from grader.sandbox.launcher import ISOLATION_ENV, SandboxedProcess, SandboxLauncher

__all__ = [
    "ISOLATION_ENV",
    "MAX_FRAME_BYTES",
    "Channel",
    "ChannelClosed",
    "ChannelError",
    "ChannelTimeout",
    "Isolation",
    "Limits",
    "SandboxError",
    "SandboxExit",
    "SandboxLauncher",
    "SandboxSetupError",
    "SandboxedProcess",
    "SubmissionFilesError",
    "SyncChannel",
    "ZygoteError",
]
