"""Capped reading of a sandbox's pipes: keep the first bytes, drain and count the rest.

Draining instead of stopping keeps a flooding sandbox from blocking on a full pipe (it runs
on until its own limits stop it) while the grader's memory stays bounded by the cap.
"""

from __future__ import annotations

import asyncio
import io
import os


class _CappedProtocol(asyncio.Protocol):
    def __init__(self, cap: int, done: asyncio.Future[tuple[bytes, bool]]) -> None:
        self._cap = cap
        self._kept = bytearray()
        self._truncated = False
        self._done = done

    def data_received(self, data: bytes) -> None:
        room = self._cap - len(self._kept)
        if len(data) > room:
            self._truncated = True
            data = data[:max(room, 0)]
        self._kept += data

    def eof_received(self) -> bool:
        self._finish()
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self._finish()

    def _finish(self) -> None:
        if not self._done.done():
            self._done.set_result((bytes(self._kept), self._truncated))


class CappedPipe:
    """Reads one pipe's read end to EOF in the background, keeping at most `cap` bytes."""

    def __init__(self, fd: int, cap: int) -> None:
        self._fd = fd
        self._cap = cap
        self._transport: asyncio.ReadTransport | None = None
        self.done: asyncio.Future[tuple[bytes, bool]] | None = None

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self.done = loop.create_future()
        os.set_blocking(self._fd, False)
        stream = io.FileIO(self._fd, "rb", closefd=True)  # the transport owns and closes it
        self._transport, _ = await loop.connect_read_pipe(
            lambda: _CappedProtocol(self._cap, self.done), stream)  # type: ignore[arg-type]

    async def result(self, within: float | None = None) -> tuple[bytes, bool]:
        """What was read, and whether more was dropped; stops reading after `within` s."""
        assert self.done is not None
        try:
            return await asyncio.wait_for(asyncio.shield(self.done), within)
        except TimeoutError:
            self.close()
            return await self.done

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()
