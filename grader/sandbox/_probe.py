"""Entries that prove a sandbox works, used to detect the isolation level and in benchmarks."""

from __future__ import annotations

from grader.sandbox.channel import SyncChannel


def ready(channel_fd: int) -> None:
    """Say one frame and return: a sandbox that gets here was fully built."""
    SyncChannel.from_fd(channel_fd).send({"ready": True})


def echo(channel_fd: int) -> None:
    """Send back the first frame received."""
    channel = SyncChannel.from_fd(channel_fd)
    channel.send(channel.recv())
