"""Helpers for the sandbox tests: run one attack module, prove the launcher still serves
the next spawn, find a sandbox's processes from the host."""

from __future__ import annotations

import os
import textwrap

from grader.sandbox import ChannelError, Limits, SandboxExit, SandboxLauncher

FAST = Limits(wall_seconds=5.0, cpu_seconds=5)


def module(source: str) -> dict[str, bytes]:
    """A submission made of one module, `attack.py`, whose `main(fd)` is the entry."""
    return {"attack.py": textwrap.dedent(source).encode()}


async def run(launcher: SandboxLauncher, source: str, limits: Limits = FAST,
              **spawn_options: object) -> tuple[list[dict], SandboxExit]:
    """Run `attack:main`, collect every frame it sends until it ends, and its exit."""
    frames: list[dict] = []
    async with await launcher.spawn(module(source), limits, "attack:main",
                                    **spawn_options) as process:  # type: ignore[arg-type]
        exit_ = await process.wait()
        while True:
            try:
                frames.append(await process.channel.recv(timeout=1))
            except ChannelError:
                break
    return frames, exit_


async def assert_still_serves(launcher: SandboxLauncher) -> None:
    """The next spawn after an attack works: a frame goes in and comes back."""
    async with await launcher.spawn({}, FAST, "grader.sandbox._probe:echo") as process:
        await process.channel.send({"ping": 1})
        assert await process.channel.recv(timeout=5) == {"ping": 1}
        exit_ = await process.wait()
    assert exit_.returncode == 0, exit_.stderr


def pid_namespace_members(namespace: str) -> list[int]:
    """Host pids of the processes living in the pid namespace `namespace` ("pid:[...]")."""
    members = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.readlink(f"/proc/{entry}/ns/pid") == namespace:
                    members.append(int(entry))
            except OSError:
                continue
    return members
