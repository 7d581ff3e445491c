"""The trusted side of the channel: a session per sandbox, and proxies that tests use.

A submission is graded in one worker thread of the grader, which owns the sandbox's socket
(`Session`): a synchronous remote call blocks that thread on the socket, an async one waits on
the running test's event loop, which reads the socket when it is readable. No other thread or
loop sits in between, so a remote call costs one socket round trip.

- `LearnerModule`: what `import stack` gives a test module in the grader. It forwards to the
  *current* test's session (a context variable), so one proxy serves every submission,
  also concurrently.
- `RemoteRef`: an object that stays in the sandbox (a pid, an instance, a function). Attribute
  access and calls go over the channel; a call to an `async def` returns a coroutine, so
  `asyncio.gather` runs remote calls concurrently in the sandbox's event loop. A reference
  equals only the same reference: the learner's `__eq__` never runs in the grader.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import select
import socket
import time
from dataclasses import dataclass, field
from typing import Any

from grader.engine.protocol import MAX_ANSWER_BYTES, ProtocolError, decode, encode
from grader.engine.remote_errors import (
    RemoteBaseException,
    SandboxUnavailable,
    TestTimedOut,
    to_trusted_exception,
)
from grader.sandbox import ChannelError
from grader.sandbox.channel import encode_frame, frame_length


@dataclass
class TestContext:
    """The test being run: its sandbox session, its deadline, and the first sandbox failure
    seen while it ran (which fails the test whatever the test did with the exception)."""

    __test__ = False

    session: Session
    deadline: float
    timeout: float
    failure: BaseException | None = field(default=None)

    def remaining(self) -> float:
        return max(0.0, self.deadline - time.monotonic())

    def fail(self, error: BaseException) -> BaseException:
        if self.failure is None:
            self.failure = error
        return error


_current: contextvars.ContextVar[TestContext | None] = contextvars.ContextVar(
    "academy_test_context", default=None
)


def current_context() -> TestContext | None:
    return _current.get()


def set_context(context: TestContext | None) -> contextvars.Token[TestContext | None]:
    return _current.set(context)


def _require_context() -> TestContext:
    context = _current.get()
    if context is None:
        raise RuntimeError("the learner's module can only be used while a test runs")
    return context


class Session:
    """One sandboxed process seen from the grader: numbered requests, validated answers.

    A session is driven from one thread at a time (the thread grading the submission), which
    does its own socket I/O: a blocking request waits in `select`, an async request waits on
    a future of the running test's event loop, which reads the socket when it is readable.
    No other thread or event loop is involved, so a round trip costs a socket round trip.
    Answers to requests that timed out are recognised and dropped; any other unexpected or
    malformed frame breaks the session, and every waiting request fails.
    """

    def __init__(self, sock: socket.socket):
        self.sock = sock
        sock.setblocking(False)
        self.broken: str | None = None
        self.modules: dict[str, RemoteRef] = {}
        # Modules, classes and functions by (owner, name): stable for the sandbox's life, so
        # `stack.Stack.push` costs one round trip per submission instead of one per use.
        self.attributes: dict[tuple[int, str], RemoteRef] = {}
        self._buffer = bytearray()
        self._waiting: dict[int, asyncio.Future[dict[str, Any]] | None] = {}
        self._answers: dict[int, dict[str, Any]] = {}
        self._abandoned: set[int] = set()
        self._next_id = 1
        self._loop: asyncio.AbstractEventLoop | None = None

    # -- requests ----------------------------------------------------------------------------

    def request(self, op: str, fields: dict[str, Any], timeout: float) -> dict[str, Any]:
        """Send a request and block until its answer; TimeoutError when `timeout` passes."""
        request_id = self._send(op, fields)
        self._waiting[request_id] = None
        deadline = time.monotonic() + timeout
        try:
            while request_id not in self._answers:
                if self.broken is not None:
                    raise SandboxUnavailable(self.broken)
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    self._abandoned.add(request_id)
                    raise TimeoutError(f"no answer to {op} within {timeout:g} s")
                readable, _, _ = select.select([self.sock], [], [], remaining)
                if readable:
                    self._read_available()
            return self._answers.pop(request_id)
        finally:
            self._waiting.pop(request_id, None)

    async def request_async(self, op: str, fields: dict[str, Any]) -> dict[str, Any]:
        """Send a request and wait for its answer on the running event loop."""
        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            self._loop = loop
            loop.add_reader(self.sock.fileno(), self._read_available)
        future: asyncio.Future[dict[str, Any]] = loop.create_future()
        request_id = self._send(op, fields)
        self._waiting[request_id] = future
        try:
            return await future
        except asyncio.CancelledError:
            self._abandoned.add(request_id)
            raise
        finally:
            self._waiting.pop(request_id, None)

    def detach_loop(self) -> None:
        """Stop reading on the current test's event loop (call before it closes)."""
        if self._loop is not None and not self._loop.is_closed():
            self._loop.remove_reader(self.sock.fileno())
        self._loop = None

    def close(self) -> None:
        self.detach_loop()
        self._break("the session was closed")
        self.sock.close()

    # -- frames ------------------------------------------------------------------------------

    def _send(self, op: str, fields: dict[str, Any]) -> int:
        if self.broken is not None:
            raise SandboxUnavailable(self.broken)
        request_id = self._next_id
        self._next_id += 1
        data = memoryview(encode_frame({"id": request_id, "op": op, **fields}))
        try:
            while data:
                try:
                    sent = self.sock.send(data)
                except BlockingIOError:
                    select.select([], [self.sock], [], _SEND_SECONDS)
                    continue
                data = data[sent:]
        except OSError as error:
            self._break(f"the sandbox stopped answering ({error})")
            raise SandboxUnavailable(self.broken) from None
        return request_id

    def _read_available(self) -> None:
        try:
            chunk = self.sock.recv(1 << 16)
        except (BlockingIOError, InterruptedError):
            return
        except OSError as error:
            self._break(f"the sandbox stopped answering ({error})")
            return
        if not chunk:
            self._break("the sandbox closed the channel")
            return
        self._buffer += chunk
        try:
            while len(self._buffer) >= 4:
                length = frame_length(bytes(self._buffer[:4]))
                if length > MAX_ANSWER_BYTES:
                    raise ProtocolError(f"an answer of {length} bytes (at most {MAX_ANSWER_BYTES})")
                if len(self._buffer) < 4 + length:
                    break
                body = bytes(self._buffer[4 : 4 + length])
                del self._buffer[: 4 + length]
                self._accept(_decode_answer(body))
        except (ChannelError, ProtocolError) as error:
            self._break(f"the sandbox broke the protocol: {error}")

    def _accept(self, message: dict[str, Any]) -> None:
        request_id, ok = message.get("id"), message.get("ok")
        if type(request_id) is not int or type(ok) is not bool:
            raise ProtocolError("an answer needs an integer id and a boolean ok")
        if ok and "value" not in message:
            raise ProtocolError("a successful answer needs a value")
        if not ok and type(message.get("error")) is not dict:
            raise ProtocolError("a failed answer needs an error object")
        if request_id in self._waiting and request_id not in self._answers:
            future = self._waiting[request_id]
            if future is None:
                self._answers[request_id] = message
            elif not future.done():
                future.set_result(message)
            return
        if request_id in self._abandoned:
            self._abandoned.discard(request_id)  # a late answer to a request that timed out
            return
        raise ProtocolError(f"an answer to request {request_id}, which was not asked")

    def _break(self, reason: str) -> None:
        if self.broken is None:
            self.broken = reason
        for future in self._waiting.values():
            if future is not None and not future.done():
                future.set_exception(SandboxUnavailable(self.broken))

    # -- values ------------------------------------------------------------------------------

    def decode(self, data: Any) -> Any:
        return decode(data, self._make_ref)

    def _make_ref(self, description: dict[str, Any]) -> RemoteRef:
        ref_id = description.get("id")
        kind = description.get("kind")
        if type(ref_id) is not int or kind not in _KINDS:
            raise ProtocolError("malformed reference")
        type_name = description.get("type")
        text = description.get("repr")
        return RemoteRef(
            self,
            ref_id,
            kind,
            type_name if isinstance(type_name, str) else "object",
            text if isinstance(text, str) else "",
            description.get("async") is True,
            description.get("stable") is True,
        )

    def remember(self, owner: Any, name: Any, value: Any) -> None:
        """Cache a stable attribute announced by the sandbox (`owner.name` is `value`)."""
        if not (isinstance(owner, RemoteRef) and isinstance(value, RemoteRef)):
            raise ProtocolError("a cached attribute must relate two references")
        if isinstance(name, str) and owner._stable and value._stable:
            self.attributes[(owner._id, name)] = value

    def encode(self, value: Any) -> Any:
        return encode(value, self._reference_to)

    def _reference_to(self, value: Any) -> Any:
        if isinstance(value, Deferred):  # `from stack import LIMIT` at a test module's top
            return self.encode(value._resolve())
        if isinstance(value, RemoteRef) and value._session is self:
            return {"t": "ref", "id": value._id}
        raise TypeError(
            f"cannot send {type(value).__name__} to the learner's code: only data (None, bool, "
            "int, float, str, bytes, list, tuple, dict, set) and objects that came from it"
        )

    def unpack(self, answer: dict[str, Any], context: TestContext) -> Any:
        """The value of an answer, or raise the trusted form of the remote exception."""
        try:
            if answer["ok"]:
                return self.decode(answer["value"])
            error = to_trusted_exception(answer["error"], self.decode)
        except ProtocolError as problem:
            self._break(f"the sandbox broke the protocol: {problem}")
            raise context.fail(SandboxUnavailable(self.broken)) from None
        if isinstance(error, SandboxUnavailable | RemoteBaseException):
            context.fail(error)
        raise error


_KINDS = frozenset({"module", "class", "function", "awaitable", "object"})


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _decode_answer(body: bytes) -> dict[str, Any]:
    """A frame body as a JSON object. Values inside are checked (depth, size, types) when
    decoded by `protocol.decode`, so the body needs no separate walk here."""
    try:
        message = json.loads(body.decode("utf-8"), parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        raise ProtocolError(f"frame is not valid JSON: {type(error).__name__}") from None
    if type(message) is not dict:
        raise ProtocolError("a frame must be a JSON object")
    return message
_SEND_SECONDS = 1.0


def _send_blocking(op: str, fields: dict[str, Any]) -> Any:
    context = _require_context()
    session = context.session
    try:
        answer = session.request(op, fields, context.remaining())
    except TimeoutError:
        raise context.fail(TestTimedOut(f"timed out after {context.timeout:g} s")) from None
    except SandboxUnavailable as error:
        raise context.fail(error) from None
    return session.unpack(answer, context)


async def _send_async(op: str, fields: dict[str, Any]) -> Any:
    # No deadline of its own: the runner runs the whole test under the test's deadline, and
    # cancelling this wait abandons the request (its late answer is then dropped).
    context = _require_context()
    session = context.session
    try:
        answer = await session.request_async(op, fields)
    except SandboxUnavailable as error:
        raise context.fail(error) from None
    return session.unpack(answer, context)


class RemoteRef:
    """An object living in the sandbox. Equal only to itself; never truthy by remote code."""

    __slots__ = (
        "__weakref__", "_async", "_id", "_kind", "_repr", "_session", "_stable", "_type",
    )

    def __init__(
        self,
        session: Session,
        ref_id: int,
        kind: str,
        type_name: str,
        text: str,
        is_async: bool,
        stable: bool = False,
    ):
        self._session = session
        self._id = ref_id
        self._kind = kind
        self._type = type_name
        self._repr = text
        self._async = is_async
        self._stable = stable

    def _getattr(self, name: str) -> Any:
        cache = self._session.attributes
        value = cache.get((self._id, name))
        if value is None:
            value = _send_blocking("getattr", {"target": self._id, "name": name})
            if isinstance(value, RemoteRef) and value._stable and self._stable:
                cache[(self._id, name)] = value
        return value

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        return self._getattr(name)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        session = self._session
        fields = {
            "target": self._id,
            "args": [session.encode(arg) for arg in args],
            "kwargs": [[key, session.encode(value)] for key, value in kwargs.items()],
            "await": self._async,
        }
        if self._async:
            return _send_async("call", fields)
        return _send_blocking("call", fields)

    def __await__(self) -> Any:
        if self._kind != "awaitable":
            raise TypeError(f"the learner's {self._type} object is not awaitable")
        return _send_async("await", {"target": self._id}).__await__()

    def __getitem__(self, key: Any) -> Any:
        return self._getattr("__getitem__")(key)

    def __len__(self) -> int:
        length = self._getattr("__len__")()
        if type(length) is not int:
            raise TypeError("__len__ of the learner's object did not return an int")
        return length

    def __iter__(self) -> Any:
        raise TypeError(
            f"cannot iterate the learner's {self._type} object from a test; call a function "
            "of the learner's module that returns a list"
        )

    def __bool__(self) -> bool:
        return True

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RemoteRef) and other._session is self._session and (
            other._id == self._id
        )

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    def __hash__(self) -> int:
        return hash((id(self._session), self._id))

    def __repr__(self) -> str:
        return f"<learner's {self._type}: {self._repr}>"


class LearnerModule:
    """What `import <learner module>` gives a test module inside the grader."""

    def __init__(self, name: str):
        self.__name__ = name

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        context = _current.get()
        if context is None:
            return Deferred(self.__name__, (name,))
        module = context.session.modules.get(self.__name__)
        if module is None:
            raise context.fail(SandboxUnavailable(f"module {self.__name__} was not imported"))
        return getattr(module, name)

    def __repr__(self) -> str:
        return f"<learner's module {self.__name__}>"


class Deferred:
    """`from stack import Stack` at a test module's top: resolved again in every test."""

    def __init__(self, module: str, path: tuple[str, ...]):
        self._module = module
        self._path = path

    def _resolve(self) -> Any:
        context = _require_context()
        value: Any = context.session.modules.get(self._module)
        if value is None:
            raise context.fail(SandboxUnavailable(f"module {self._module} was not imported"))
        for name in self._path:
            value = getattr(value, name)
        return value

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        if _current.get() is None:
            return Deferred(self._module, (*self._path, name))
        return getattr(self._resolve(), name)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._resolve()(*args, **kwargs)

    def __await__(self) -> Any:
        return self._resolve().__await__()

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Deferred):
            other = other._resolve()
        return bool(self._resolve() == other)

    def __hash__(self) -> int:
        return hash((self._module, self._path))

    def __repr__(self) -> str:
        return f"<learner's {self._module}.{'.'.join(self._path)}>"
