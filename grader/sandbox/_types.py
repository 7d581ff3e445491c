"""The value types shared by the launcher, the zygote and the isolated child."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any


@dataclass(frozen=True)
class Limits:
    """What one sandboxed run may use; every limit ends the run or fails the call, never
    the grader."""

    wall_seconds: float = 10.0  # whole run; the process tree is killed after it
    cpu_seconds: int = 10  # CPU time of each process; SIGKILL when spent
    memory_bytes: int = 512 * 2**20  # address space of each process
    max_processes: int = 64  # processes and threads of the learner's uid
    file_size_bytes: int = 16 * 2**20  # largest file a process may write
    open_files: int = 256
    output_bytes: int = 64 * 1024  # stdout and stderr each; the rest is dropped, flagged
    scratch_bytes: int = 32 * 2**20  # private writable dir and /tmp, each

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Limits:
        return cls(**data)


class Isolation(StrEnum):
    """How strongly a run was isolated; results carry it so reduced isolation is visible."""

    NAMESPACES = "namespaces"  # user, mount, pid, net, ipc, uts + rlimits
    RLIMITS_ONLY = "rlimits-only"  # reduced: said loudly in results


@dataclass(frozen=True)
class SandboxExit:
    """How a sandboxed run ended, with its captured output."""

    returncode: int | None  # exit status of the sandbox's first process, if it exited
    signal: int | None  # the signal that killed it, if one did
    timed_out: bool  # the wall-clock limit ended the run
    stdout: bytes
    stderr: bytes
    stdout_truncated: bool
    stderr_truncated: bool
    isolation: Isolation
    wall_ms: float
