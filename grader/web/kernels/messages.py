"""Jupyter messaging protocol -> lesson page events.

The browser never sees a raw Jupyter message: each iopub/shell message that concerns a cell is
turned into a small JSON-able ``KernelEvent`` (a dict with a ``type``), and everything else is
dropped. Mime bundles are cut down to the types the page can display safely.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from typing import Any

KernelEvent = dict[str, Any]

# What the lesson page renders, richest first; anything else in a bundle is dropped.
DISPLAYABLE_MIME_TYPES: tuple[str, ...] = (
    "text/html",
    "image/svg+xml",
    "image/png",
    "image/jpeg",
    "text/markdown",
    "text/plain",
)

# The lesson extension's machine-readable test results (grader.notebook.report); kept as JSON.
RESULTS_MIME = "application/vnd.academy.results+json"

_ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")

PROTOCOL_VERSION = "5.3"


def strip_ansi(text: str) -> str:
    """Tracebacks come coloured for terminals; the page shows them as plain text."""
    return _ANSI_ESCAPE.sub("", text)


def displayable(bundle: dict[str, Any]) -> dict[str, Any]:
    """Keep the mime types the page knows how to show (and test results); join text lists."""
    kept: dict[str, Any] = {}
    if isinstance(bundle.get(RESULTS_MIME), dict):
        kept[RESULTS_MIME] = bundle[RESULTS_MIME]
    for mime in DISPLAYABLE_MIME_TYPES:
        if mime in bundle:
            value = bundle[mime]
            kept[mime] = "".join(value) if isinstance(value, list) else str(value)
    return kept


def request(msg_type: str, content: dict[str, Any], session: str) -> dict[str, Any]:
    """A shell-channel request in the JSON form jupyter_server's websocket accepts."""
    return {
        "header": {
            "msg_id": uuid.uuid4().hex,
            "msg_type": msg_type,
            "username": "academy",
            "session": session,
            "date": datetime.now(UTC).isoformat(),
            "version": PROTOCOL_VERSION,
        },
        "parent_header": {},
        "metadata": {},
        "content": content,
        "channel": "shell",
        "buffers": [],
    }


def execute_request(code: str, session: str, *, silent: bool = False) -> dict[str, Any]:
    return request(
        "execute_request",
        {
            "code": code,
            "silent": silent,
            "store_history": not silent,
            "user_expressions": {},
            "allow_stdin": False,
            "stop_on_error": True,
        },
        session,
    )


def to_event(message: dict[str, Any]) -> KernelEvent | None:
    """The page event for one message answering an execution, or None when it has none."""
    msg_type = message.get("msg_type") or message.get("header", {}).get("msg_type")
    content = message.get("content", {})
    if msg_type == "stream":
        return {"type": "stream", "name": content.get("name", "stdout"), "text": content["text"]}
    if msg_type == "execute_result":
        return {
            "type": "result",
            "data": displayable(content.get("data", {})),
            "count": content.get("execution_count"),
        }
    if msg_type in ("display_data", "update_display_data"):
        return {"type": "display", "data": displayable(content.get("data", {}))}
    if msg_type == "error":
        return {
            "type": "error",
            "ename": content.get("ename", "Error"),
            "evalue": content.get("evalue", ""),
            "traceback": [strip_ansi(line) for line in content.get("traceback", [])],
        }
    if msg_type == "clear_output":
        return {"type": "clear"}
    return None
