"""The kernel bridge: live lesson cells run on Jupyter kernels the browser never reaches.

Layers, inner to outer:

- ``errors``      one exception tree for everything that can go wrong with a kernel
- ``messages``    Jupyter's wire messages -> the small events our lesson page understands
- ``server``      a jupyter_server child process on loopback with a random token
- ``client``      the jupyter_server REST API (start, interrupt, restart, shut down kernels)
- ``connection``  one kernel websocket, multiplexed between concurrent executions
- ``learners``    one kernel per learner per lesson, setup preloaded, idle kernels culled
- ``service``     what the web app starts and stops: a local server or ``KERNELS_URL``

The web app talks to ``LearnerKernels`` only; a kernel is addressed by (learner, lesson), never
by a kernel id that came from the browser, so a learner cannot reach another learner's kernel.
"""

from grader.web.kernels.client import KernelsClient
from grader.web.kernels.connection import KernelConnection
from grader.web.kernels.errors import (
    KernelBridgeError,
    KernelServerFailed,
    KernelStartFailed,
    KernelUnavailable,
)
from grader.web.kernels.learners import KernelKey, LearnerKernel, LearnerKernels
from grader.web.kernels.messages import KernelEvent
from grader.web.kernels.server import LocalJupyterServer
from grader.web.kernels.service import KernelService

__all__ = [
    "KernelBridgeError",
    "KernelConnection",
    "KernelEvent",
    "KernelKey",
    "KernelServerFailed",
    "KernelService",
    "KernelStartFailed",
    "KernelUnavailable",
    "KernelsClient",
    "LearnerKernel",
    "LearnerKernels",
    "LocalJupyterServer",
]
