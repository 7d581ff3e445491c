"""What GenServer callbacks return: Elixir's tagged tuples as small frozen dataclasses.

``{:reply, value, state}`` becomes ``Reply(value, state)``; each class has ``__match_args__`` so
a ``match`` statement can take them apart. ``timeout`` (seconds) delivers the info message
``"timeout"`` when no message arrives in time; ``continue_`` runs ``handle_continue`` before the
next message.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["Continue", "Ignore", "NoReply", "Ok", "Reply", "Stop"]


class _Unset:
    __slots__ = ()

    def __repr__(self) -> str:
        return "<no reply>"


UNSET: Any = _Unset()


@dataclass(frozen=True, slots=True)
class Continue:
    """``{:continue, arg}``: accepted wherever ``continue_`` is (also as the timeout slot)."""

    arg: Any


@dataclass(frozen=True, slots=True)
class Ok:
    """``init`` succeeded: ``{:ok, state}`` (with an optional timeout or continue)."""

    state: Any
    timeout: float | Continue | None = None
    continue_: Any = None


@dataclass(frozen=True, slots=True, init=False)
class Reply:
    """``{:reply, reply, state}``: answer the caller and keep going."""

    reply: Any
    state: Any
    timeout: float | Continue | None = None
    continue_: Any = None

    def __init__(
        self, reply: Any, state: Any, timeout: float | Continue | None = None, continue_: Any = None
    ) -> None:
        # One is built per call: set the slots directly instead of the frozen dataclass's
        # object.__setattr__ calls, which cost about as much as the rest of a call's overhead.
        _set_reply(self, reply)
        _set_reply_state(self, state)
        _set_reply_timeout(self, timeout)
        _set_reply_continue(self, continue_)


@dataclass(frozen=True, slots=True, init=False)
class NoReply:
    """``{:noreply, state}``: keep going (a call is answered later with ``GenServer.reply``)."""

    state: Any
    timeout: float | Continue | None = None
    continue_: Any = None

    def __init__(
        self, state: Any, timeout: float | Continue | None = None, continue_: Any = None
    ) -> None:
        _set_noreply_state(self, state)  # as Reply: built for every cast and info
        _set_noreply_timeout(self, timeout)
        _set_noreply_continue(self, continue_)


_set_reply = Reply.reply.__set__  # type: ignore[attr-defined]
_set_reply_state = Reply.state.__set__  # type: ignore[attr-defined]
_set_reply_timeout = Reply.timeout.__set__  # type: ignore[attr-defined]
_set_reply_continue = Reply.continue_.__set__  # type: ignore[attr-defined]
_set_noreply_state = NoReply.state.__set__  # type: ignore[attr-defined]
_set_noreply_timeout = NoReply.timeout.__set__  # type: ignore[attr-defined]
_set_noreply_continue = NoReply.continue_.__set__  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class Stop:
    """``{:stop, reason, state}`` or, from ``handle_call``, ``{:stop, reason, reply, state}``.

    From ``init`` only ``reason`` matters. ``terminate(reason, state)`` runs, the optional
    ``reply`` goes to the caller, and the server exits with ``reason``.
    """

    reason: Any
    state: Any = None
    reply: Any = UNSET


@dataclass(frozen=True, slots=True)
class Ignore:
    """``:ignore`` from ``init``: the server exits quietly and ``start`` returns None."""
