"""The sandbox's exceptions, drawn in one place.

    SandboxError                  any failure of the sandbox machinery itself
    ├── SandboxSetupError         a sandbox could not be built (a namespace, mount or limit
    │                             was refused); the submission never ran
    ├── ZygoteError               the warm zygote could not start or stopped answering
    ├── SubmissionFilesError      the files to place in the scratch dir are unusable
    └── ChannelError              a frame broke the protocol (too big, not UTF-8, not a JSON
        │                         object, nested too deep)
        ├── ChannelClosed         the other end closed the channel (EOF)
        └── ChannelTimeout        no complete frame arrived in time (also a TimeoutError)

A learner's code misbehaving (looping, crashing, flooding) is *not* an exception here: it is
an ordinary `SandboxExit` that says what happened.
"""

from __future__ import annotations


class SandboxError(Exception):
    """The sandbox machinery failed; the grader, not the learner, is at fault."""


class SandboxSetupError(SandboxError):
    """A sandbox could not be isolated as asked; the message names the refused step."""


class ZygoteError(SandboxError):
    """The warm zygote could not be started, or died and could not be restarted."""


class SubmissionFilesError(SandboxError):
    """A file handed to `spawn` has an unsafe name or the files exceed the scratch space."""


class ChannelError(SandboxError):
    """A frame on the channel broke the protocol; the channel is unusable afterwards."""


class ChannelClosed(ChannelError):
    """The other end closed the channel, possibly in the middle of a frame."""


class ChannelTimeout(ChannelError, TimeoutError):
    """No complete frame arrived within the timeout; a partial frame is kept for later."""
