"""Run ``academy serve`` and ``academy worker`` as real processes (reliability tests, bench).

Each process gets its own environment (database, queue mode, grader), its output in a log
file, and its own process group so a test can SIGKILL it together with its children.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ACADEMY = str(Path(sys.executable).with_name("academy"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class ManagedProcess:
    argv: list[str]
    env: dict[str, str]
    log: Path
    cwd: Path | None = None
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    def start(self) -> ManagedProcess:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        handle = self.log.open("ab")
        self.process = subprocess.Popen(
            self.argv,
            env=self.env,
            cwd=self.cwd,
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        handle.close()
        return self

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def kill_group(self) -> None:
        """SIGKILL the process and everything it started (no chance to clean up)."""
        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait()

    def stop(self, timeout: float = 20.0) -> int | None:
        """SIGTERM, wait for a graceful exit, then SIGKILL the group."""
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                pass
        self.kill_group()
        return self.process.returncode

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


def service_env(
    data_dir: Path,
    database_url: str,
    *,
    queue: str = "embedded",
    grader: str = "grader.service.grading:StubGrader",
    extra: dict[str, str] | None = None,
) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ACADEMY_")}
    env.update(
        {
            "ACADEMY_DATA_DIR": str(data_dir),
            "DATABASE_URL": database_url,
            "ACADEMY_QUEUE": queue,
            "ACADEMY_GRADER": grader,
            "ACADEMY_PAGES": "0",
            "ACADEMY_SUBMIT_RATE": "0",
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(extra or {})
    return env


def start_server(
    env: dict[str, str],
    log: Path,
    port: int | None = None,
    workers: int = 2,
    cwd: Path | None = None,
) -> tuple[ManagedProcess, str]:
    port = port or free_port()
    argv = [ACADEMY, "serve", "--port", str(port), "--workers", str(workers)]
    server = ManagedProcess(argv, env, log, cwd).start()
    url = f"http://127.0.0.1:{port}"
    wait_until_up(url, server)
    return server, url


def start_worker(env: dict[str, str], log: Path, *extra: str) -> ManagedProcess:
    return ManagedProcess([ACADEMY, "worker", *extra], env, log).start()


def wait_until_up(url: str, server: ManagedProcess, timeout: float = 60.0) -> None:
    """Poll until the server answers HTTP (any status): it has bound its port."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process is not None and server.process.poll() is not None:
            raise RuntimeError(f"server exited early:\n{server.output()}")
        try:
            httpx.get(f"{url}/healthz", timeout=1.0)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise TimeoutError(f"server at {url} did not come up:\n{server.output()}")


def academy_available() -> bool:
    return Path(ACADEMY).exists() or shutil.which("academy") is not None
