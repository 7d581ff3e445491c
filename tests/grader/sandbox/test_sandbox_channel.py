"""The frame channel: what it accepts, what it refuses, and that refusing never over-reads."""

from __future__ import annotations

import asyncio
import socket
import struct

import pytest

from grader.sandbox import (
    MAX_FRAME_BYTES,
    Channel,
    ChannelClosed,
    ChannelError,
    ChannelTimeout,
    SyncChannel,
)
from grader.sandbox.channel import encode_frame


def _frame(body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + body


@pytest.fixture
async def pair():
    ours, theirs = socket.socketpair()
    channel = await Channel.from_socket(ours)
    theirs.setblocking(True)
    yield channel, theirs
    await channel.close()
    theirs.close()


async def test_a_message_round_trips_between_async_and_blocking_ends():
    ours, theirs = socket.socketpair()
    channel, peer = await Channel.from_socket(ours), SyncChannel(theirs)
    message = {"op": "call", "args": [1, "ü", None, {"nested": [True, 2.5]}]}
    await channel.send(message)
    assert await asyncio.to_thread(peer.recv, 5) == message
    peer.send({"ok": True})
    assert await channel.recv(timeout=5) == {"ok": True}
    await channel.close()
    peer.close()


async def test_an_oversized_length_is_refused_before_the_body_is_read(pair):
    channel, peer = pair
    peer.sendall(struct.pack(">I", MAX_FRAME_BYTES + 1))  # and no body at all
    with pytest.raises(ChannelError, match="over the"):
        await channel.recv(timeout=5)


@pytest.mark.parametrize(("body", "complaint"), [
    (b"\xff\xfe{}", "not valid UTF-8"),
    (b"[1, 2]", "not an object"),
    (b'"text"', "not an object"),
    (b"{'single': 'quotes'}", "not valid JSON"),
    (b'{"x": NaN}', "not valid JSON"),
    (b'{"a": ' + b"[" * 100 + b"]" * 100 + b"}", "deeper"),
    (b'{"a":' * 70 + b"1" + b"}" * 70, "deeper"),
    (b'{"a": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", "deeper"),
])
async def test_malformed_frames_are_channel_errors(pair, body, complaint):
    channel, peer = pair
    peer.sendall(_frame(body))
    with pytest.raises(ChannelError, match=complaint):
        await channel.recv(timeout=5)
    with pytest.raises(ChannelError):  # the stream is out of step: it stays refused
        await channel.recv(timeout=5)


async def test_eof_between_frames_and_inside_a_frame_are_channel_closed(pair):
    channel, peer = pair
    peer.sendall(_frame(b'{"whole": 1}') + struct.pack(">I", 50) + b'{"cut')
    peer.close()
    assert await channel.recv(timeout=5) == {"whole": 1}
    with pytest.raises(ChannelClosed, match="middle of a frame"):
        await channel.recv(timeout=5)


async def test_a_timeout_keeps_a_partial_frame_for_the_next_recv(pair):
    channel, peer = pair
    frame = _frame(b'{"slow": "frame"}')
    peer.sendall(frame[:6])
    with pytest.raises(ChannelTimeout):
        await channel.recv(timeout=0.05)
    peer.sendall(frame[6:])
    assert await channel.recv(timeout=5) == {"slow": "frame"}


async def test_a_timeout_is_also_a_timeout_error(pair):
    channel, _ = pair
    with pytest.raises(TimeoutError):
        await channel.recv(timeout=0.01)


def test_sending_refuses_what_the_reader_would_refuse():
    with pytest.raises(ChannelError, match="JSON object"):
        encode_frame(["not", "an", "object"])  # type: ignore[arg-type]
    with pytest.raises(ChannelError, match="not JSON-serializable"):
        encode_frame({"nan": float("nan")})
    with pytest.raises(ChannelError, match="exceeds"):
        encode_frame({"big": "x" * MAX_FRAME_BYTES})


def test_the_blocking_end_reads_frames_split_anyhow_and_times_out():
    ours, theirs = socket.socketpair()
    peer = SyncChannel(ours)
    data = _frame(b'{"a": 1}') + _frame(b'{"b": 2}')
    for byte in data:
        theirs.send(bytes([byte]))
    assert peer.recv(timeout=1) == {"a": 1}
    assert peer.recv(timeout=1) == {"b": 2}
    with pytest.raises(ChannelTimeout):
        peer.recv(timeout=0.01)
    theirs.close()
    with pytest.raises(ChannelClosed, match="between frames"):
        peer.recv(timeout=1)


async def test_a_detached_channel_hands_the_connection_to_blocking_code_intact():
    ours, theirs = socket.socketpair()
    channel, peer = await Channel.from_socket(ours), SyncChannel(theirs)
    await channel.send({"before": "detach"})
    detached = SyncChannel(channel.detach())
    assert await asyncio.to_thread(peer.recv, 5) == {"before": "detach"}
    peer.send({"answer": 42})
    assert await asyncio.to_thread(detached.recv, 5) == {"answer": 42}
    detached.send({"from": "thread"})
    assert await asyncio.to_thread(peer.recv, 5) == {"from": "thread"}
    await channel.close()
    detached.close()
    peer.close()


async def test_detaching_after_bytes_were_buffered_is_refused(pair):
    channel, peer = pair
    peer.sendall(_frame(b'{"a": 1}') + _frame(b'{"b": 2}'))
    assert await channel.recv(timeout=5) == {"a": 1}  # the second frame is buffered here now
    with pytest.raises(ChannelError, match="already holds"):
        channel.detach()
