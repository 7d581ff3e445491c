"""KernelConnection against a scripted kernel: what it does when messages go missing."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from grader.web.kernels import connection as connection_module
from grader.web.kernels.connection import KernelConnection


class ScriptedSocket:
    """Answers each request through the connection's router, dropping what `drop` names."""

    def __init__(self, conn: KernelConnection, drop: set[str]) -> None:
        self.conn = conn
        self.drop = drop
        self.sent: list[str] = []

    async def send(self, raw: str) -> None:
        request = json.loads(raw)
        kind = request["header"]["msg_type"]
        self.sent.append(kind)
        parent = {"msg_id": request["header"]["msg_id"]}
        reply_type = kind.replace("_request", "_reply")
        answers = [
            {"msg_type": "status", "content": {"execution_state": "busy"}},
            {"msg_type": reply_type, "content": {"status": "ok", "execution_count": 1}},
            {"msg_type": "status", "content": {"execution_state": "idle"}},
        ]
        for answer in answers:
            if answer["msg_type"] == "status" and "iopub" in self.drop:
                continue
            waiter = self.conn._waiters.get(parent["msg_id"])
            if waiter is not None:
                waiter.put_nowait({**answer, "parent_header": parent})


def scripted(drop: set[str]) -> tuple[KernelConnection, ScriptedSocket]:
    conn = KernelConnection(client=None, kernel_id="k")  # type: ignore[arg-type]
    socket = ScriptedSocket(conn, drop)
    conn._socket = socket  # type: ignore[assignment]
    return conn, socket


async def test_a_kernel_whose_iopub_is_not_live_yet_is_not_ready() -> None:
    conn, socket = scripted(drop={"iopub"})
    with pytest.raises(Exception, match="did not become ready"):
        await conn.wait_ready(within=0.1)
    assert socket.sent and set(socket.sent) == {"kernel_info_request"}


async def test_a_kernel_answering_on_both_channels_is_ready() -> None:
    conn, _ = scripted(drop=set())
    await conn.wait_ready(within=5.0)
    assert conn.state == "idle"


async def test_an_execution_whose_idle_status_is_lost_still_ends(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(connection_module, "_IDLE_AFTER_REPLY_SECONDS", 0.05)
    conn, _ = scripted(drop={"iopub"})
    events: list[dict[str, Any]] = await asyncio.wait_for(
        _collect(conn.execute("1 + 1")), timeout=5.0
    )
    assert events[-1]["type"] == "done"
    assert events[-1]["status"] == "ok"


async def _collect(stream: Any) -> list[dict[str, Any]]:
    return [event async for event in stream]
