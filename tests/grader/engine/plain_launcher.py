"""A launcher with the sandbox's interface but no isolation: a plain child process.

Used by the engine's own unit tests so they exercise the real agent and channel without
depending on namespaces; the adversarial corpus uses the real `grader.sandbox`.
"""

from __future__ import annotations

import asyncio
import shutil
import socket
import sys
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grader.sandbox.channel import Channel


@dataclass(frozen=True)
class PlainExit:
    returncode: int | None
    signal: int | None
    timed_out: bool
    stdout: bytes
    stderr: bytes
    stdout_truncated: bool = False
    stderr_truncated: bool = False
    isolation: str = "none"
    wall_ms: float = 0.0


class PlainProcess:
    isolation = "none"

    def __init__(self, process: asyncio.subprocess.Process, channel: Channel, scratch: Path):
        self.process = process
        self.channel = channel
        self.scratch = scratch
        self.started = time.monotonic()
        self._exit: PlainExit | None = None

    async def wait(self) -> PlainExit:
        return await self._finish(kill=False)

    async def kill(self) -> PlainExit:
        return await self._finish(kill=True)

    async def _finish(self, *, kill: bool) -> PlainExit:
        if self._exit is None:
            if kill and self.process.returncode is None:
                self.process.kill()
            stdout, stderr = await self.process.communicate()
            await self.channel.close()
            shutil.rmtree(self.scratch, ignore_errors=True)
            code = self.process.returncode
            self._exit = PlainExit(
                returncode=code if code is not None and code >= 0 else None,
                signal=-code if code is not None and code < 0 else None,
                timed_out=False,
                stdout=stdout,
                stderr=stderr,
                wall_ms=(time.monotonic() - self.started) * 1000,
            )
        return self._exit


class PlainLauncher:
    spawned = 0

    async def spawn(
        self, files: Mapping[str, bytes], limits: Any, entry: str = "grader.engine.agent:serve"
    ) -> PlainProcess:
        scratch = Path(tempfile.mkdtemp(prefix="academy-plain-"))
        for name, data in files.items():
            (scratch / name).write_bytes(data)
        module, _, function = entry.partition(":")
        parent, child = socket.socketpair()
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-c",
            f"from {module} import {function}; {function}({child.fileno()})",
            cwd=scratch,
            pass_fds=[child.fileno()],
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        child.close()
        self.spawned += 1
        return PlainProcess(process, await Channel.from_socket(parent), scratch)
