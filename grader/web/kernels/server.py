"""A jupyter_server child process, private to the web app.

It listens on loopback only, on a free port, with a random token that never leaves this
process: the browser reaches kernels through the web app's own websocket, never directly.
Kernels inherit a scrubbed environment, so a learner's live code cannot read the service's
secrets (database URL, session key) from ``os.environ``.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import socket
import sys
import time
from pathlib import Path

import httpx

from grader.web.kernels.errors import KernelServerFailed

# Only these variables reach jupyter_server and therefore the kernels.
_INHERITED_ENVIRONMENT: tuple[str, ...] = (
    "PATH",
    "HOME",
    "LANG",
    "LC_ALL",
    "TZ",
    "VIRTUAL_ENV",
    "PYTHONPATH",
    "TMPDIR",
)


def free_loopback_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class LocalJupyterServer:
    """Start, wait for and stop one jupyter_server on 127.0.0.1.

    ``cull_idle_seconds`` is a backstop: ``LearnerKernels`` culls idle kernels itself, and
    jupyter_server's own culler catches anything the web app lost track of.
    """

    def __init__(
        self,
        root_dir: Path,
        *,
        cull_idle_seconds: int = 3600,
        python: str = sys.executable,
        kernel_environment: dict[str, str] | None = None,
    ) -> None:
        self.root_dir = root_dir
        self.cull_idle_seconds = cull_idle_seconds
        self.python = python
        self.kernel_environment = dict(kernel_environment or {})
        self.token = secrets.token_urlsafe(32)
        self.port = 0
        self._process: asyncio.subprocess.Process | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.returncode is None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    async def wait(self) -> int | None:
        """Until the child exits on its own; its exit code (None if it was never started)."""
        return await self._process.wait() if self._process is not None else None

    @property
    def log_path(self) -> Path:
        return self.root_dir / "jupyter_server.log"

    def _environment(self) -> dict[str, str]:
        env = {name: os.environ[name] for name in _INHERITED_ENVIRONMENT if name in os.environ}
        runtime = self.root_dir / ".jupyter-runtime"
        env["JUPYTER_RUNTIME_DIR"] = str(runtime)
        env["JUPYTER_DATA_DIR"] = str(self.root_dir / ".jupyter-data")
        env["JUPYTER_CONFIG_DIR"] = str(self.root_dir / ".jupyter-config")
        env["IPYTHONDIR"] = str(self.root_dir / ".ipython")
        env["PYTHONUNBUFFERED"] = "1"
        # The venv's kernelspec must stay visible even though JUPYTER_DATA_DIR moved.
        env["JUPYTER_PATH"] = str(Path(sys.prefix) / "share" / "jupyter")
        env.update(self.kernel_environment)
        return env

    def _command(self) -> list[str]:
        cull = [
            f"--MappingKernelManager.cull_idle_timeout={self.cull_idle_seconds}",
            "--MappingKernelManager.cull_interval=60",
            "--MappingKernelManager.cull_connected=True",
        ]
        return [
            self.python,
            "-m",
            "jupyter_server",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={self.port}",
            "--ServerApp.port_retries=0",
            "--ServerApp.open_browser=False",
            f"--ServerApp.root_dir={self.root_dir}",
            f"--IdentityProvider.token={self.token}",
            "--ServerApp.allow_remote_access=False",
            # Learners get kernels through our bridge only, never a terminal.
            "--ServerApp.terminals_enabled=False",
            *cull,
            # Containers often run as root; the server is private to us, so allow it.
            *(["--allow-root"] if os.geteuid() == 0 else []),
        ]

    async def start(self, within: float = 30.0) -> None:
        """Launch the child and return once its REST API answers with our token."""
        self.root_dir.mkdir(parents=True, exist_ok=True)
        self.port = free_loopback_port()
        log = self.log_path.open("ab")
        try:
            self._process = await asyncio.create_subprocess_exec(
                *self._command(),
                stdin=asyncio.subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                env=self._environment(),
                cwd=self.root_dir,
                start_new_session=True,
            )
        finally:
            log.close()
        await self._wait_until_ready(within)

    async def _wait_until_ready(self, within: float) -> None:
        deadline = time.monotonic() + within
        headers = {"Authorization": f"token {self.token}"}
        async with httpx.AsyncClient(timeout=2.0) as http:
            while time.monotonic() < deadline:
                if self._process is not None and self._process.returncode is not None:
                    raise KernelServerFailed(
                        f"jupyter_server exited with code {self._process.returncode} during "
                        f"start-up; see {self.log_path}"
                    )
                with contextlib.suppress(httpx.TransportError):
                    answer = await http.get(f"{self.url}/api/status", headers=headers)
                    if answer.status_code == 200:
                        return
                await asyncio.sleep(0.1)
        await self.stop()
        raise KernelServerFailed(
            f"jupyter_server did not answer on {self.url} within {within:.0f} s; "
            f"see {self.log_path}"
        )

    async def stop(self, grace: float = 5.0) -> None:
        """Stop the server and, with it, every kernel it started."""
        process, self._process = self._process, None
        if process is None or process.returncode is not None:
            return
        process.terminate()
        try:
            await asyncio.wait_for(process.wait(), grace)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, 9)
            await process.wait()
