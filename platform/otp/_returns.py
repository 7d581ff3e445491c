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


@dataclass(frozen=True, slots=True)
class Reply:
    """``{:reply, reply, state}``: answer the caller and keep going."""

    reply: Any
    state: Any
    timeout: float | Continue | None = None
    continue_: Any = None


@dataclass(frozen=True, slots=True)
class NoReply:
    """``{:noreply, state}``: keep going (a call is answered later with ``GenServer.reply``)."""

    state: Any
    timeout: float | Continue | None = None
    continue_: Any = None


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
