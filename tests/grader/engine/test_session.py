"""The trusted end of the channel: what it accepts, and what breaks a session."""

from __future__ import annotations

import json
import socket
import struct
import threading

import pytest

from grader.engine.proxy import Session
from grader.engine.remote_errors import SandboxUnavailable


def frame(message: dict) -> bytes:
    body = json.dumps(message).encode()
    return struct.pack(">I", len(body)) + body


def read_frame(peer: socket.socket) -> dict:
    (length,) = struct.unpack(">I", peer.recv(4, socket.MSG_WAITALL))
    return json.loads(peer.recv(length, socket.MSG_WAITALL))


@pytest.fixture
def pair():
    ours, peer = socket.socketpair()
    session = Session(ours)
    peer.settimeout(2)
    yield session, peer
    session.close()
    peer.close()


def test_an_answer_is_matched_to_its_request(pair):
    session, peer = pair
    asked: list[dict] = []

    def answer_next() -> None:
        asked.append(read_frame(peer))
        peer.sendall(frame({"id": asked[0]["id"], "ok": True, "value": 7}))

    helper = threading.Thread(target=answer_next)
    helper.start()
    answer = session.request("getattr", {"target": 1, "name": "x"}, timeout=2)
    helper.join()
    assert asked[0]["op"] == "getattr" and asked[0]["name"] == "x"
    assert answer == {"id": asked[0]["id"], "ok": True, "value": 7}


def test_a_request_without_an_answer_times_out_and_its_late_answer_is_dropped(pair):
    session, peer = pair
    with pytest.raises(TimeoutError):
        session.request("call", {"target": 1}, timeout=0.05)
    late = read_frame(peer)
    peer.sendall(frame({"id": late["id"], "ok": True, "value": "late"}))
    peer.sendall(frame({"id": late["id"] + 1, "ok": True, "value": "fresh"}))
    answer = session.request("reset", {}, timeout=2)
    assert answer["value"] == "fresh"
    assert session.broken is None


@pytest.mark.parametrize(
    "garbage",
    [
        frame({"id": 999, "ok": True, "value": 42}),  # an answer to nothing that was asked
        frame({"id": 1, "ok": True}),  # no value
        frame({"id": "1", "ok": True, "value": 1}),  # id of the wrong type
        struct.pack(">I", 5) + b"{bad}",  # not JSON
        struct.pack(">I", 2**31) + b"x",  # longer than any frame may be
        struct.pack(">I", 3 * 2**20) + b"[",  # longer than an answer may be
    ],
)
def test_a_frame_that_breaks_the_protocol_fails_the_waiting_request(pair, garbage):
    session, peer = pair
    peer.sendall(garbage)
    with pytest.raises(SandboxUnavailable, match="protocol"):
        session.request("call", {"target": 1}, timeout=2)
    assert session.broken is not None
    with pytest.raises(SandboxUnavailable):
        session.request("call", {"target": 1}, timeout=2)


def test_a_truncated_answer_then_a_closed_channel_fails_the_waiting_request(pair):
    session, peer = pair

    def answer_half() -> None:
        request = read_frame(peer)
        peer.sendall(frame({"id": request["id"], "ok": True, "value": 42})[:10])
        peer.close()

    helper = threading.Thread(target=answer_half)
    helper.start()
    with pytest.raises(SandboxUnavailable, match="closed the channel"):
        session.request("call", {"target": 1}, timeout=2)
    helper.join()
