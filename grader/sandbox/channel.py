"""The frame channel between the trusted grader and a sandboxed process.

A frame is a 4-byte big-endian length followed by that many bytes of UTF-8 JSON whose top
level is an object. The reader checks the length against `MAX_FRAME_BYTES` *before* reading
the body, so a hostile length cannot make the grader allocate; bad UTF-8, non-objects,
non-standard constants (NaN) and nesting deeper than `MAX_DEPTH` are `ChannelError`s.

`Channel` is the asyncio end (the grader's; the sandboxed side may use it too);
`SyncChannel` is a blocking end for simple code running inside the sandbox.
"""

from __future__ import annotations

import asyncio
import json
import os
import select
import socket
import struct
import time
from typing import Any

from grader.sandbox._errors import ChannelClosed, ChannelError, ChannelTimeout

MAX_FRAME_BYTES = 16 * 2**20
MAX_DEPTH = 64
_HEADER = struct.Struct(">I")


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _check_depth(value: Any) -> None:
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise ChannelError(f"frame nests deeper than {MAX_DEPTH} levels")
        if isinstance(item, dict):
            stack.extend((child, depth + 1) for child in item.values())
        elif isinstance(item, list):
            stack.extend((child, depth + 1) for child in item)


def encode_frame(message: dict[str, Any]) -> bytes:
    """Serialize one message; refuses what the reader would refuse."""
    if not isinstance(message, dict):
        raise ChannelError(f"a frame must be a JSON object, not {type(message).__name__}")
    try:
        body = json.dumps(message, ensure_ascii=False, allow_nan=False,
                          separators=(",", ":")).encode("utf-8")
    except (TypeError, ValueError) as exc:
        raise ChannelError(f"message is not JSON-serializable: {exc}") from None
    if len(body) > MAX_FRAME_BYTES:
        raise ChannelError(f"frame of {len(body)} bytes exceeds {MAX_FRAME_BYTES}")
    return _HEADER.pack(len(body)) + body


def frame_length(header: bytes) -> int:
    """The body length announced by a header; refuses lengths over the maximum."""
    (length,) = _HEADER.unpack(header)
    if length > MAX_FRAME_BYTES:
        raise ChannelError(f"frame announces {length} bytes, over the {MAX_FRAME_BYTES} maximum")
    return length


def decode_body(body: bytes) -> dict[str, Any]:
    """Strictly decode one frame body into a JSON object."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ChannelError(f"frame is not valid UTF-8: {exc.reason} at byte {exc.start}") from None
    try:
        value = json.loads(text, parse_constant=_reject_constant)
    except RecursionError:
        raise ChannelError(f"frame nests deeper than {MAX_DEPTH} levels") from None
    except ValueError as exc:
        raise ChannelError(f"frame is not valid JSON: {exc}") from None
    if not isinstance(value, dict):
        raise ChannelError(f"frame is a JSON {type(value).__name__}, not an object")
    _check_depth(value)
    return value


class Channel:
    """One asyncio end of a frame channel over a connected stream socket.

    A `recv` cancelled or timed out half-way keeps what it read, so the next `recv` resumes
    the same frame. After any `ChannelError` the stream is out of step: close it.
    """

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer
        self._pending_length: int | None = None
        self._broken: ChannelError | None = None

    @classmethod
    async def from_socket(cls, sock: socket.socket) -> Channel:
        sock.setblocking(False)
        reader, writer = await asyncio.open_unix_connection(sock=sock, limit=MAX_FRAME_BYTES)
        return cls(reader, writer)

    @classmethod
    async def from_fd(cls, fd: int) -> Channel:
        """Wrap an inherited socket fd, e.g. the one a sandbox entry is called with."""
        return await cls.from_socket(socket.socket(fileno=fd))

    async def send(self, message: dict[str, Any]) -> None:
        frame = encode_frame(message)
        if self._writer.is_closing():
            raise ChannelClosed("the channel is closed")
        try:
            self._writer.write(frame)
            await self._writer.drain()
        except (ConnectionError, BrokenPipeError) as exc:
            raise ChannelClosed(f"the other end closed the channel: {exc}") from None

    async def recv(self, timeout: float | None = None) -> dict[str, Any]:  # noqa: ASYNC109
        # `timeout` is the contract's (docs/grading-contract.md); a partial frame survives it.
        if self._broken is not None:
            raise self._broken
        try:
            return await asyncio.wait_for(self._recv_frame(), timeout)
        except TimeoutError:
            raise ChannelTimeout(f"no complete frame within {timeout} s") from None
        except ChannelTimeout:
            raise
        except ChannelError as exc:
            self._broken = exc
            raise

    async def _recv_frame(self) -> dict[str, Any]:
        try:
            if self._pending_length is None:
                self._pending_length = frame_length(await self._reader.readexactly(4))
            body = await self._reader.readexactly(self._pending_length)
        except asyncio.IncompleteReadError as exc:
            where = "between frames" if not exc.partial and self._pending_length is None \
                else "in the middle of a frame"
            raise ChannelClosed(f"the other end closed the channel {where}") from None
        except ConnectionError as exc:
            raise ChannelClosed(f"the channel broke: {exc}") from None
        self._pending_length = None
        return decode_body(body)

    def detach(self) -> socket.socket:
        """Hand the connection to blocking code (e.g. a worker thread) as a blocking duplicate
        of the socket, with nothing lost: reading here stops first, and a channel that has
        already buffered received bytes refuses. Afterwards only `close()` this channel."""
        self._writer.transport.pause_reading()
        if self._pending_length is not None or len(self._reader._buffer):  # stdlib internals
            raise ChannelError("the channel already holds received bytes; detach before recv")
        raw = self._writer.get_extra_info("socket")
        detached = socket.socket(fileno=os.dup(raw.fileno()))
        detached.setblocking(True)
        return detached

    async def close(self) -> None:
        self._writer.close()
        try:
            await self._writer.wait_closed()
        except (ConnectionError, BrokenPipeError):
            pass


class SyncChannel:
    """A blocking end of a frame channel, for code inside the sandbox that has no event loop."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._sock.setblocking(True)
        self._buffer = bytearray()

    @classmethod
    def from_fd(cls, fd: int) -> SyncChannel:
        return cls(socket.socket(fileno=fd))

    def fileno(self) -> int:
        return self._sock.fileno()

    def send(self, message: dict[str, Any]) -> None:
        try:
            self._sock.sendall(encode_frame(message))
        except (ConnectionError, BrokenPipeError) as exc:
            raise ChannelClosed(f"the other end closed the channel: {exc}") from None

    def recv(self, timeout: float | None = None) -> dict[str, Any]:
        deadline = None if timeout is None else time.monotonic() + timeout
        length: int | None = None
        while True:
            if length is None and len(self._buffer) >= 4:
                length = frame_length(bytes(self._buffer[:4]))
            if length is not None and len(self._buffer) >= 4 + length:
                body = bytes(self._buffer[4:4 + length])
                del self._buffer[:4 + length]
                return decode_body(body)
            self._fill(deadline)

    def _fill(self, deadline: float | None) -> None:
        if deadline is not None:
            remaining = deadline - time.monotonic()
            ready, _, _ = select.select([self._sock], [], [], max(remaining, 0))
            if not ready:
                raise ChannelTimeout("no complete frame in time")
        try:
            chunk = self._sock.recv(1 << 16)
        except ConnectionError as exc:
            raise ChannelClosed(f"the channel broke: {exc}") from None
        if not chunk:
            where = "in the middle of a frame" if self._buffer else "between frames"
            raise ChannelClosed(f"the other end closed the channel {where}")
        self._buffer += chunk

    def close(self) -> None:
        self._sock.close()
