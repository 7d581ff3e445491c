"""The lesson page's kernel websocket: who may open it, and that it runs the learner's cells."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pages_support import sign_in
from starlette.testclient import WebSocketTestSession
from starlette.websockets import WebSocketDisconnect

from grader.service.settings import Settings
from grader.service.testing import (  # noqa: F401
    World,
    database_url,
    settings,
    sqlite_template,
    world,
)

LESSON_SOCKET = "/lessons/01-genserver/kernel"


@pytest.fixture
def site(settings: Settings, world: World) -> Iterator[TestClient]:  # noqa: F811
    from grader.web.app import create_app

    with TestClient(create_app(settings), base_url="http://testserver") as client:
        yield client


def first_message(ws: WebSocketTestSession) -> dict[str, Any]:
    """The socket speaks first: the kernel's state, before the learner sends anything."""
    message = ws.receive_json()
    assert message == {"type": "status", "state": "starting"}
    return message


def execute(ws: WebSocketTestSession, run: str, code: str) -> list[dict[str, Any]]:
    ws.send_json({"op": "execute", "run": run, "code": code})
    events = []
    while True:
        message = ws.receive_json()
        if message["type"] == "output" and message["run"] == run:
            events.append(message["event"])
            if message["event"]["type"] == "done":
                return events


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_kernel_socket_refuses_visitors_and_other_sites(site: TestClient) -> None:
    with pytest.raises(WebSocketDisconnect) as refused, site.websocket_connect(LESSON_SOCKET):
        pass
    assert refused.value.code == 4401
    sign_in(site, "alice")
    foreign = {"origin": "https://evil.example"}
    with pytest.raises(WebSocketDisconnect) as cross_site, site.websocket_connect(
        LESSON_SOCKET, headers=foreign
    ):
        pass
    assert cross_site.value.code == 4403
    with pytest.raises(WebSocketDisconnect) as unknown, site.websocket_connect(
        "/lessons/no-such-lesson/kernel"
    ):
        pass
    assert unknown.value.code == 4404


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_each_signed_in_learner_runs_cells_on_their_own_kernel(site: TestClient) -> None:
    sign_in(site, "alice")
    with site.websocket_connect(LESSON_SOCKET, headers={"origin": "http://testserver"}) as ws:
        first_message(ws)
        events = execute(ws, "r1", "import otp\nmine = 'alice'\nprint(otp.__name__)")
        assert events[0] == {"type": "stream", "name": "stdout", "text": "otp\n"}
        assert events[-1]["status"] == "ok"
    site.cookies.clear()
    sign_in(site, "bob")
    with site.websocket_connect(LESSON_SOCKET) as ws:
        events = execute(ws, "r1", "mine")
        assert events[0]["type"] == "error" and events[0]["ename"] == "NameError"
