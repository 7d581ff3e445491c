"""The agent: the only grading code that runs inside the sandbox, beside the learner's code.

`serve(channel_fd)` imports the learner's modules when asked and answers requests from the
trusted runner, one JSON frame each (4-byte big-endian length + UTF-8 JSON object):

    {"id": n, "op": "import",   "modules": [name, ...]}       -> ({name: ref}, [(owner ref,
                                                                  name, ref), ...])
    {"id": n, "op": "getattr",  "target": ref_id, "name": str} -> value
    {"id": n, "op": "call",     "target": ref_id, "args": [...], "kwargs": [[k, v], ...],
                                "await": bool}                  -> value (awaited if asked)
    {"id": n, "op": "await",    "target": ref_id}               -> value
    {"id": n, "op": "describe", "target": ref_id}               -> description
    {"id": n, "op": "release",  "ids": [ref_id, ...]}           -> null
    {"id": n, "op": "reset"}    a fresh event loop for the next test (the old one's tasks are
                                cancelled, its references dropped except "stable" ones:
                                modules, classes and functions, which stay valid)
    {"id": n, "op": "bye"}      answer, then return

Answers are {"id": n, "ok": true, "value": v} or {"id": n, "ok": false, "error": {...}} with
the exception as data (type name, module, base classes, message, `reason`). Awaiting work
runs as tasks, so concurrent requests run concurrently on the sandbox's event loop.

Nothing here is trusted: the learner's code shares this process and can speak this protocol
itself. That gives it no power it did not have (it already chooses what its functions return);
verdicts are made on the trusted side, which validates every frame (docs/grading-security.md).
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
import json
import logging
import os
import socket
import struct
import sys
from typing import Any

from grader.engine.protocol import MAX_ANSWER_BYTES, ProtocolError, clip, decode, encode

MAX_FRAME = 16 * 2**20
_HEADER = struct.Struct(">I")
_TEARDOWN_SECONDS = 0.5
_MANIFEST_LIMIT = 500
_CONTAINERS = (list, tuple, dict, set, frozenset, str, bytes)


class _Stale(Exception):
    pass


class Agent:
    def __init__(self, sock: socket.socket):
        self.sock = sock
        self.buffer = bytearray()
        self.objects: dict[int, Any] = {}
        self.ids_by_identity: dict[int, int] = {}
        self.pinned: set[int] = set()
        self.next_id = 1
        self.loop: asyncio.AbstractEventLoop | None = None
        self.pending_reset: int | None = None
        self.finished = False

    # -- the outer loop: one asyncio event loop per test ------------------------------------

    def run(self) -> None:
        if os.getcwd() not in sys.path:
            sys.path.insert(0, os.getcwd())
        self._new_loop()
        while not self.finished:
            assert self.loop is not None
            try:
                self.loop.run_forever()
            except BaseException:  # learner code raised SystemExit in a task
                continue
            if self.pending_reset is not None:
                request_id, self.pending_reset = self.pending_reset, None
                self._teardown_loop()
                self._new_loop()
                self._answer(request_id, None)
                self.loop.call_soon(self._drain)
        self._teardown_loop()

    def _new_loop(self) -> None:
        self.loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self.loop)
        self.loop.add_reader(self.sock.fileno(), self._on_readable)

    def _teardown_loop(self) -> None:
        loop = self.loop
        if loop is None or loop.is_closed():
            return
        loop.remove_reader(self.sock.fileno())
        tasks = [task for task in asyncio.all_tasks(loop) if not task.done()]
        for task in tasks:
            task.cancel()
        if tasks:
            # Processes ended by the end of a test would log their exit signals; that is the
            # grader's doing, not the learner's, so it stays out of the captured output.
            logging.disable(logging.CRITICAL)
            try:
                loop.run_until_complete(asyncio.wait(tasks, timeout=_TEARDOWN_SECONDS))
            except BaseException:  # whatever the learner's tasks do on cancel
                pass
            finally:
                logging.disable(logging.NOTSET)
        loop.close()
        for ref_id in [ref_id for ref_id in self.objects if ref_id not in self.pinned]:
            self._forget(ref_id)

    # -- frames ------------------------------------------------------------------------------

    def _on_readable(self) -> None:
        try:
            chunk = self.sock.recv(1 << 16)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            chunk = b""
        if not chunk:
            self._finish()
            return
        self.buffer += chunk
        self._drain()

    def _drain(self) -> None:
        while not self.finished and self.pending_reset is None:
            if len(self.buffer) < _HEADER.size:
                return
            (length,) = _HEADER.unpack_from(self.buffer)
            if length > MAX_FRAME:
                self._finish()
                return
            if len(self.buffer) < _HEADER.size + length:
                return
            body = bytes(self.buffer[_HEADER.size : _HEADER.size + length])
            del self.buffer[: _HEADER.size + length]
            try:
                request = json.loads(body)
                request_id = request["id"]
                op = request["op"]
            except (ValueError, KeyError, TypeError):
                self._finish()
                return
            self._dispatch(request_id, op, request)

    def _send(self, message: dict[str, Any]) -> None:
        body = json.dumps(message, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
        data = body.encode("utf-8", "surrogatepass")
        if len(data) > MAX_ANSWER_BYTES:
            error = {"type": "ValueError", "module": "builtins", "mro": [],
                     "message": "the value is too large to send", "reason": None}
            data = json.dumps({"id": message["id"], "ok": False, "error": error}).encode()
        try:
            self.sock.sendall(_HEADER.pack(len(data)) + data)
        except OSError:
            self._finish()

    def _answer(self, request_id: Any, value: Any) -> None:
        self._send({"id": request_id, "ok": True, "value": value})

    def _fail(self, request_id: Any, error: BaseException) -> None:
        self._send({"id": request_id, "ok": False, "error": self._describe_error(error)})

    def _finish(self) -> None:
        self.finished = True
        if self.loop is not None:
            self.loop.stop()

    # -- requests ----------------------------------------------------------------------------

    def _dispatch(self, request_id: Any, op: str, request: dict[str, Any]) -> None:
        if op == "reset":
            self.pending_reset = request_id
            assert self.loop is not None
            self.loop.stop()
            return
        if op == "bye":
            self._answer(request_id, None)
            self._finish()
            return
        try:
            if op == "import":
                self._answer(request_id, self._import(request["modules"]))
            elif op == "getattr":
                target = self._lookup(request["target"])
                self._answer(request_id, self._encode(getattr(target, str(request["name"]))))
            elif op == "call":
                target = self._lookup(request["target"])
                args = self._decode(request.get("args", []))
                kwargs = {str(k): v for k, v in self._decode(request.get("kwargs", [])) or []}
                result = target(*args, **kwargs)
                if request.get("await") and inspect.isawaitable(result):
                    self._spawn(request_id, result)
                else:
                    self._answer(request_id, self._encode(result))
            elif op == "await":
                self._spawn(request_id, self._lookup(request["target"]))
            elif op == "describe":
                self._answer(request_id, self._describe(self._lookup(request["target"])))
            elif op == "release":
                for ref_id in request["ids"]:
                    if ref_id not in self.pinned:
                        self._forget(ref_id)
                self._answer(request_id, None)
            else:
                raise ProtocolError(f"unknown op {op!r}")
        except BaseException as error:  # learner code may raise anything
            self._fail(request_id, error)

    def _spawn(self, request_id: Any, awaitable: Any) -> None:
        async def complete() -> None:
            try:
                value = await awaitable
            except asyncio.CancelledError:
                self._fail(request_id, TimeoutError("cancelled: the test ended"))
                raise
            except BaseException as error:
                self._fail(request_id, error)
                return
            try:
                encoded = self._encode(value)
            except BaseException as error:
                self._fail(request_id, error)
                return
            self._answer(request_id, encoded)

        assert self.loop is not None
        self.loop.create_task(complete())

    def _import(self, names: list[str]) -> Any:
        """The modules, and the functions and classes they define with their methods: the
        runner caches those, so a test's `stack.Stack.push` needs no round trip."""
        modules = {str(name): importlib.import_module(str(name)) for name in names}
        attributes: list[tuple[Any, str, Any]] = []
        for module in modules.values():
            for name, value in list(vars(module).items()):
                if name.startswith("_") or inspect.ismodule(value) or not _is_stable(value):
                    continue
                attributes.append((module, name, value))
                if inspect.isclass(value) and value.__module__ == module.__name__:
                    for attribute in list(vars(value)):
                        if attribute.startswith("__"):
                            continue
                        try:
                            member = getattr(value, attribute)
                        except Exception:
                            continue
                        if _is_stable(member):
                            attributes.append((value, attribute, member))
        del attributes[_MANIFEST_LIMIT:]
        return self._encode((modules, attributes))

    # -- references --------------------------------------------------------------------------

    def _lookup(self, ref_id: Any) -> Any:
        try:
            return self.objects[ref_id]
        except (KeyError, TypeError):
            raise _Stale(
                "this object belonged to an earlier test; get it again in this test"
            ) from None

    def _forget(self, ref_id: int) -> None:
        obj = self.objects.pop(ref_id, None)
        if obj is not None:
            self.ids_by_identity.pop(id(obj), None)

    def _ref(self, obj: Any) -> dict[str, Any]:
        ref_id = self.ids_by_identity.get(id(obj))
        if ref_id is None or self.objects.get(ref_id) is not obj:
            ref_id = self.next_id
            self.next_id += 1
            self.objects[ref_id] = obj
            self.ids_by_identity[id(obj)] = ref_id
            if _is_stable(obj):
                self.pinned.add(ref_id)
        return {"t": "ref", "id": ref_id, "stable": ref_id in self.pinned, **self._describe(obj)}

    def _describe(self, obj: Any) -> dict[str, Any]:
        if type(obj) in _CONTAINERS and len(obj) > 1000:  # too big to be data; repr is slow
            text = f"<{type(obj).__name__} of {len(obj)} items>"
        else:
            try:
                text = clip(repr(obj), 300)
            except BaseException:
                text = f"<{type(obj).__name__} object>"
        if inspect.ismodule(obj):
            kind = "module"
        elif inspect.isclass(obj):
            kind = "class"
        elif inspect.isawaitable(obj):
            kind = "awaitable"
        elif callable(obj):
            kind = "function"
        else:
            kind = "object"
        return {
            "kind": kind,
            "type": type(obj).__name__,
            "repr": text,
            "async": kind == "function" and inspect.iscoroutinefunction(obj),
        }

    def _encode(self, value: Any) -> Any:
        return encode(value, self._ref)

    def _decode(self, data: Any) -> Any:
        return decode(data, lambda ref: self._lookup(ref.get("id")))

    def _describe_error(self, error: BaseException) -> dict[str, Any]:
        kind = type(error)
        try:
            message = clip(str(error), 2000)
        except BaseException:
            message = ""
        reason: Any = None
        if "reason" in getattr(error, "__dict__", {}):
            try:
                reason = self._encode(error.__dict__["reason"])
            except BaseException:
                reason = None
        if isinstance(error, _Stale):
            kind_name, module = "StaleReference", "grader.engine.agent"
        else:
            kind_name, module = kind.__name__, kind.__module__
        return {
            "type": kind_name,
            "module": module,
            "mro": [[c.__name__, c.__module__] for c in kind.__mro__ if c is not object],
            "message": message,
            "reason": reason,
        }


def _is_stable(obj: Any) -> bool:
    """Modules, classes and plain functions live as long as the learner's modules do: their
    references survive `reset`, so the runner may cache them across tests."""
    if inspect.ismethod(obj):  # a classmethod bound to a class: `Stack.start_link`
        return inspect.isclass(obj.__self__) and inspect.isfunction(obj.__func__)
    return inspect.ismodule(obj) or inspect.isclass(obj) or inspect.isfunction(obj)


def serve(channel_fd: int) -> None:
    """Answer the trusted runner's requests on `channel_fd` until it says bye or goes away."""
    sock = socket.socket(fileno=channel_fd)
    sock.setblocking(True)
    Agent(sock).run()
