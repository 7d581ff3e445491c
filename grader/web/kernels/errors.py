"""Exceptions of the kernel bridge.

    KernelBridgeError
    ├── KernelServerFailed   the jupyter_server child process did not come up, or died
    ├── KernelStartFailed    jupyter_server refused or failed to start a kernel
    └── KernelUnavailable    the kernel went away (culled, crashed, shut down) mid-use
"""

from __future__ import annotations


class KernelBridgeError(Exception):
    """Base of every kernel bridge failure; the lesson page shows its message to the learner."""


class KernelServerFailed(KernelBridgeError):
    """Raised when the jupyter_server child process cannot be started or stops answering."""


class KernelStartFailed(KernelBridgeError):
    """Raised when jupyter_server answers a kernel start with an error."""


class KernelUnavailable(KernelBridgeError):
    """Raised when a kernel disappears while it is being used; restarting the cell starts anew."""
