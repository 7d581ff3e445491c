"""What a spawn request carries from the launcher to the isolating child.

The spec travels in a sealed-off memfd rather than over the zygote's control socket, so the
zygote never reads a submission: nothing of one learner's files lingers in the memory that
the next sandbox is forked from.
"""

from __future__ import annotations

import base64
import json
import os
import posixpath
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from grader.sandbox._errors import SubmissionFilesError
from grader.sandbox._types import Isolation, Limits


@dataclass(frozen=True)
class ChildFds:
    """The descriptors of one spawn: the spec's memfd, the sandbox's end of the channel, the
    write ends of its stdout and stderr, and the status pipe only the monitor writes to."""

    spec: int
    channel: int
    stdout: int
    stderr: int
    status: int

    def as_list(self) -> list[int]:
        return [self.spec, self.channel, self.stdout, self.stderr, self.status]

    @classmethod
    def from_list(cls, fds: list[int]) -> ChildFds:
        return cls(*fds)


@dataclass(frozen=True)
class SpawnSpec:
    files: Mapping[str, bytes]
    limits: Limits
    entry: str  # "package.module:function", called with the channel's fd
    isolation: Isolation
    expose: tuple[str, ...]  # host directories shown read-only inside (the Python runtime)

    def to_memfd(self) -> int:
        data = json.dumps({
            "files": {name: base64.b64encode(body).decode("ascii")
                      for name, body in self.files.items()},
            "limits": self.limits.to_json(),
            "entry": self.entry,
            "isolation": self.isolation.value,
            "expose": list(self.expose),
        }).encode("utf-8")
        fd = os.memfd_create("academy-sandbox-spec", os.MFD_CLOEXEC)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        os.lseek(fd, 0, os.SEEK_SET)
        return fd

    @classmethod
    def from_fd(cls, fd: int) -> SpawnSpec:
        with os.fdopen(fd, "rb") as stream:
            data: dict[str, Any] = json.loads(stream.read())
        return cls(
            files={name: base64.b64decode(body) for name, body in data["files"].items()},
            limits=Limits.from_json(data["limits"]),
            entry=data["entry"],
            isolation=Isolation(data["isolation"]),
            expose=tuple(data["expose"]),
        )


def check_files(files: Mapping[str, bytes], limits: Limits) -> None:
    """Refuse file names that could escape the scratch dir, and files that cannot fit."""
    total = 0
    for name, body in files.items():
        normal = posixpath.normpath(name)
        if (not name or "\0" in name or name.startswith("/") or normal != name
                or normal.split("/")[0] in ("..", ".")):
            raise SubmissionFilesError(
                f"file name {name!r} must be a plain relative path inside the scratch dir")
        if not isinstance(body, bytes):
            raise SubmissionFilesError(f"file {name!r} must be bytes, not {type(body).__name__}")
        total += len(body)
    if total > limits.scratch_bytes // 2:
        raise SubmissionFilesError(
            f"the submitted files take {total} bytes; at most half the scratch space "
            f"({limits.scratch_bytes // 2} bytes) is allowed")
