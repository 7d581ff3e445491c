"""GenServer: a process that owns a state and answers calls, casts and plain messages.

Subclass ``GenServer`` and write the callbacks as ``async def`` methods returning the
dataclasses of ``otp._returns`` (``Ok``, ``Reply``, ``NoReply``, ``Stop``, ``Ignore``). One
instance of the class is created per server process; the state travels through the callbacks
explicitly, as in Elixir.

Speed matters because every lesson and the grader's own workers run on this loop: a call puts
one message in the server's mailbox and waits on a Future that the reply resolves directly (no
reply message, no monitor per call); a dying server fails its pending callers' futures with its
exit reason. The call timeout is not ``asyncio.timeout``: a process making one call at a time
keeps one timer that it re-arms only when it fires (every few seconds), so a call costs two
attribute writes for its deadline instead of scheduling and cancelling a timer.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import math
from collections import deque
from typing import Any, ClassVar

from otp._exceptions import (
    CallingSelfError,
    CallTimeoutError,
    ExitError,
    NoProcError,
    StartError,
    format_reason,
)
from otp._node import node_of
from otp._process import (
    _TIMEOUT,
    CallerExit,
    Dest,
    Exit,
    Name,
    Pid,
    _current,
    _fire_timeout,
    _is_quiet,
    _me,
    _Proc,
    _shell,
    resolve,
    start_process,
    take_within,
)
from otp._returns import UNSET, Continue, Ignore, NoReply, Ok, Reply, Stop
from otp.child_spec import ChildSpec

logger = logging.getLogger("otp")

__all__ = ["From", "GenServer"]

DEFAULT_CALL_TIMEOUT = 5.0


class From:
    """Who is waiting for a call's reply (Elixir's ``from``); pass it to ``GenServer.reply``.

    It is also the call message itself, so a call allocates one object besides its Future.
    """

    __slots__ = ("_caller", "_future", "request")

    def __init__(self, request: Any, future: asyncio.Future[Any], caller: _Proc | None) -> None:
        self.request = request
        self._future = future
        self._caller = caller

    @property
    def pid(self) -> Pid:
        """The caller's pid (the shell's for code outside any process)."""
        caller = self._caller
        if caller is None:
            return _shell(node_of(self._future.get_loop())).pid
        return caller.pid

    def __repr__(self) -> str:
        return f"<call {self.request!r} from {self.pid!r}>"


class _Cast:
    __slots__ = ("request",)

    def __init__(self, request: Any) -> None:
        self.request = request


class _SystemStop:
    """``GenServer.stop``'s request, handled in mailbox order like OTP's system messages."""

    __slots__ = ("reason",)

    def __init__(self, reason: Any) -> None:
        self.reason = reason


class _Exiting(Exception):
    """Internal: the server loop ends with ``reason`` after terminate has run."""

    def __init__(self, reason: Any) -> None:
        self.reason = reason


class GenServer:
    """Base class of generic servers; override the callbacks you need.

    Class attributes ``restart``, ``shutdown`` and ``type`` set the defaults of
    ``child_spec`` (like ``use GenServer, restart: :transient``).

    Inside the callbacks the name ``self`` is the instance, so Elixir's ``self()`` is written
    ``self.pid`` (or ``otp.self()``).
    """

    pid: Pid

    restart: ClassVar[str] = "permanent"
    shutdown: ClassVar[float | str | None] = 5.0
    type: ClassVar[str] = "worker"

    # -- callbacks -----------------------------------------------------------------------------

    async def init(self, arg: Any) -> Ok | Stop | Ignore:
        """Build the initial state from the start argument (default: the argument itself)."""
        return Ok(arg)

    async def handle_call(self, request: Any, from_: From, state: Any) -> Reply | NoReply | Stop:
        """Answer ``GenServer.call``; without an override the server crashes, as in Elixir."""
        raise NotImplementedError(
            f"{type(self).__name__} received GenServer.call({request!r}) but does not define "
            "handle_call"
        )

    async def handle_cast(self, request: Any, state: Any) -> NoReply | Stop:
        """Handle ``GenServer.cast``; without an override the server crashes, as in Elixir."""
        raise NotImplementedError(
            f"{type(self).__name__} received GenServer.cast({request!r}) but does not define "
            "handle_cast"
        )

    async def handle_info(self, message: Any, state: Any) -> NoReply | Stop:
        """Handle any other message; the default logs it and keeps running."""
        logger.warning(
            "%s %r received an unexpected message in handle_info: %r",
            type(self).__name__,
            _me().pid,
            message,
        )
        return NoReply(state)

    async def handle_continue(self, arg: Any, state: Any) -> NoReply | Stop:
        """Run work queued with ``continue_`` before the next message."""
        raise NotImplementedError(
            f"{type(self).__name__} returned continue_={arg!r} but does not define handle_continue"
        )

    async def terminate(self, reason: Any, state: Any) -> None:
        """Clean up before exiting (not called on kill, nor on a parent's exit unless trapping)."""

    # -- client API ----------------------------------------------------------------------------

    @classmethod
    async def start(cls, arg: Any = None, *, name: Name | None = None) -> Pid | None:
        """Start an unlinked server; returns after ``init`` (None when it returns ``Ignore``)."""
        return await start_process(_serve, cls, arg, link=False, name=name)

    @classmethod
    async def start_link(cls, arg: Any = None, *, name: Name | None = None) -> Pid | None:
        """Start a server linked to the caller; returns after ``init``."""
        return await start_process(_serve, cls, arg, link=True, name=name)

    @classmethod
    def child_spec(
        cls, arg: Any = None, *, name: Name | None = None, **overrides: Any
    ) -> ChildSpec:
        """The supervisor's view of this server: id the class, ``start_link(arg)``, worker."""
        start = cls.start_link if name is None else functools.partial(cls.start_link, name=name)
        fields: dict[str, Any] = {
            "id": cls,
            "start": (start, (arg,)),
            "restart": cls.restart,
            "shutdown": cls.shutdown,
            "type": cls.type,
        }
        fields.update(overrides)
        return ChildSpec(**fields)

    @staticmethod
    async def call(server: Dest, request: Any, timeout: float | None = DEFAULT_CALL_TIMEOUT) -> Any:
        """Send ``request`` and wait for the reply.

        Raises ``NoProcError`` if nobody runs under ``server``, ``CallingSelfError`` from the
        server itself, ``CallTimeoutError`` after ``timeout`` seconds (None/inf: wait forever),
        and ``ExitError(reason)`` if the server exits before replying.
        """
        proc = resolve(server)
        if proc is None:
            raise NoProcError(server, "GenServer.call")
        caller = _current.get()
        if caller is proc:
            raise CallingSelfError(server, request)
        future = proc.node.loop.create_future()
        pending = proc.pending
        if pending is None:
            pending = proc.pending = set()
        pending.add(future)
        _deliver_call(proc, From(request, future, caller))
        if timeout is None or timeout == math.inf:
            try:
                result = await future
            finally:
                pending.discard(future)
        elif caller is not None and caller.call_future is None:
            # One call at a time from this process (the usual case): share its deadline timer.
            loop = proc.node.loop
            deadline = loop.time() + timeout
            caller.call_future = future
            caller.call_deadline = deadline
            timer = caller.call_timer
            if timer is None or timer.when() > deadline:
                if timer is not None:
                    timer.cancel()
                caller.call_timer = loop.call_at(deadline, _call_deadline, caller)
            try:
                result = await future
            finally:
                caller.call_future = None
                pending.discard(future)
            if result is _TIMEOUT:
                raise CallTimeoutError(server, request, timeout)
        else:
            timer = proc.node.loop.call_later(timeout, _fire_timeout, future)
            try:
                result = await future
            finally:
                timer.cancel()
                pending.discard(future)
            if result is _TIMEOUT:
                raise CallTimeoutError(server, request, timeout)
        if type(result) is CallerExit:
            reason = result.reason
            if reason == "noproc":
                raise NoProcError(server, "GenServer.call")
            raise ExitError(
                reason,
                f"GenServer.call({server!r}, {request!r}) failed: the server exited with "
                f"reason {format_reason(reason)} before replying",
            )
        return result

    @staticmethod
    def cast(server: Dest, request: Any) -> None:
        """Send ``request`` without waiting; a dead or unknown server is silently ignored."""
        proc = resolve(server)
        if proc is not None:
            _deliver_call(proc, _Cast(request))

    @staticmethod
    def reply(from_: From, value: Any) -> None:
        """Answer a call later (after ``handle_call`` returned ``NoReply``)."""
        future = from_._future
        if not future.done():
            future.set_result(value)

    @staticmethod
    async def stop(server: Dest, reason: Any = "normal", timeout: float | None = math.inf) -> None:
        """Make the server run ``terminate(reason, state)`` and exit; waits until it is gone."""
        proc = resolve(server)
        if proc is None:
            raise NoProcError(server, "GenServer.stop")
        if _current.get() is proc:
            raise CallingSelfError(server, "stop")
        loop = proc.node.loop
        gone: asyncio.Future[Any] = loop.create_future()

        def on_exit(pid: Pid, why: Any) -> None:
            if not gone.done():
                gone.set_result(why)

        if proc.on_exit is None:
            proc.on_exit = []
        proc.on_exit.append(on_exit)
        _deliver_call(proc, _SystemStop(reason))
        timer = None
        if timeout is not None and timeout != math.inf:
            timer = loop.call_later(timeout, _fire_timeout, gone)
        try:
            why = await gone
        finally:
            if timer is not None:
                timer.cancel()
        if why is _TIMEOUT:
            if proc.on_exit and on_exit in proc.on_exit:
                proc.on_exit.remove(on_exit)
            raise CallTimeoutError(server, reason, timeout, call="GenServer.stop")
        if why != reason:
            raise ExitError(why, f"GenServer.stop({server!r}) : the server exited with {why!r}")


def _call_deadline(caller: _Proc) -> None:
    """The caller's shared call timer fired: time out the current call or re-arm for it."""
    future = caller.call_future
    if future is None:
        caller.call_timer = None
        return
    loop = caller.node.loop
    if loop.time() >= caller.call_deadline:
        caller.call_timer = None
        if not future.done():
            future.set_result(_TIMEOUT)
    else:
        caller.call_timer = loop.call_at(caller.call_deadline, _call_deadline, caller)


def _deliver_call(proc: _Proc, message: Any) -> None:
    # The same as _process._deliver, inlined on the hottest path.
    waiter = proc.waiter
    if waiter is not None and proc.handoff:
        proc.waiter = None
        if not waiter.done():
            waiter.set_result(message)
            return
    elif waiter is not None and not waiter.done():
        waiter.set_result(None)
    mailbox = proc.mailbox
    if mailbox is None:
        mailbox = proc.mailbox = deque()
    mailbox.append(message)


# ---------------------------------------------------------------------------------------------
# The server loop


def _split(result: Any) -> tuple[Any, Any]:
    """(timeout, continue) of an Ok/Reply/NoReply."""
    timeout = result.timeout
    cont = result.continue_
    if type(timeout) is Continue:
        return None, timeout
    return timeout, cont


async def _serve(ack: Any, cls: type[GenServer], arg: Any) -> None:
    proc = _current.get()
    assert proc is not None
    server = cls()
    server.pid = proc
    try:
        result = await server.init(arg)
    except ExitError as error:
        ack(StartError(error.reason))
        raise
    except Exception as error:
        _log_crash(cls, proc, error, "init argument", arg, None)
        ack(StartError(error))
        raise ExitError(error) from None
    match result:
        case Ok():
            timeout, cont = _split(result)
            state = result.state
            ack(proc)
        case Stop(reason):
            if not _is_quiet(reason):
                _log_crash(cls, proc, reason, "init argument", arg, None)
            ack(StartError(reason))
            raise ExitError(reason)
        case Ignore():
            ack(None)
            return
        case _:
            reason = ("bad_return_value", result)
            ack(StartError(reason))
            raise ExitError(reason)
    try:
        await _loop(server, proc, state, timeout, cont)
    except _Exiting as exiting:
        raise ExitError(exiting.reason) from None


async def _loop(server: GenServer, proc: _Proc, state: Any, timeout: Any, cont: Any) -> None:
    loop = proc.node.loop
    handle_call = server.handle_call
    handle_cast = server.handle_cast
    message: Any = None
    while True:
        try:
            while cont is not None:
                if type(cont) is Continue:
                    cont = cont.arg
                message = ("continue", cont)
                result = await server.handle_continue(cont, state)
                rt = type(result)
                if rt is NoReply:
                    state = result.state
                    timeout, cont = _split(result)
                elif rt is Stop:
                    await _stop(server, proc, result.reason, result.state, message)
                else:
                    raise _bad_return(result)
            # Take the next message (inlined _process.take: this is the hot path).
            if timeout is None:
                mailbox = proc.mailbox
                if mailbox:
                    message = mailbox.popleft()
                else:
                    waiter = loop.create_future()
                    proc.waiter = waiter
                    proc.handoff = True
                    message = await waiter
            else:
                message = await take_within(proc, timeout)
                timeout = None
                if message is _TIMEOUT:
                    message = "timeout"
            mt = type(message)
            if mt is From:
                result = await handle_call(message.request, message, state)
                rt = type(result)
                if rt is Reply:
                    future = message._future
                    if not future.done():
                        future.set_result(result.reply)
                    state = result.state
                    if result.timeout is not None or result.continue_ is not None:
                        timeout, cont = _split(result)
                    continue
                if rt is NoReply:
                    state = result.state
                    if result.timeout is not None or result.continue_ is not None:
                        timeout, cont = _split(result)
                    continue
                if rt is Stop:
                    try:
                        await _stop(server, proc, result.reason, result.state, message)
                    finally:
                        if result.reply is not UNSET:
                            GenServer.reply(message, result.reply)
                raise _bad_return(result)
            if mt is _Cast:
                result = await handle_cast(message.request, state)
            elif mt is _SystemStop or (
                mt is Exit and message.pid is proc.parent and proc.trap_exit
            ):
                await _stop(server, proc, message.reason, state, message)
            else:
                result = await server.handle_info(message, state)
            rt = type(result)
            if rt is NoReply:
                state = result.state
                if result.timeout is not None or result.continue_ is not None:
                    timeout, cont = _split(result)
            elif rt is Stop:
                await _stop(server, proc, result.reason, result.state, message)
            else:
                raise _bad_return(result)
        except _Exiting:
            raise
        except ExitError as error:
            await _stop(server, proc, error.reason, state, message)
        except Exception as error:
            await _stop(server, proc, error, state, message)


def _bad_return(result: Any) -> ExitError:
    return ExitError(
        ("bad_return_value", result),
        f"a GenServer callback returned {result!r}; expected Reply, NoReply or Stop",
    )


async def _stop(server: GenServer, proc: _Proc, reason: Any, state: Any, message: Any) -> None:
    """Run ``terminate`` and end the loop with ``reason`` (or terminate's own crash)."""
    try:
        await server.terminate(reason, state)
    except ExitError as error:
        reason = error.reason
    except Exception as error:
        reason = error
    if not _is_quiet(reason):
        _log_crash(type(server), proc, reason, "message", message, state)
    raise _Exiting(reason)


def _log_crash(cls: type, proc: _Proc, reason: Any, what: str, message: Any, state: Any) -> None:
    logger.error(
        "GenServer %r (%s) terminating: %s\nLast %s: %r\nState: %r",
        proc.pid,
        cls.__qualname__,
        format_reason(reason),
        what,
        message,
        state,
        exc_info=reason if isinstance(reason, BaseException) else None,
    )
