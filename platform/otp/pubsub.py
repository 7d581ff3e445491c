"""PubSub: publish a message on a topic to every process subscribed to it (Phoenix.PubSub).

A PubSub is a process with a duplicate-keys registry inside: subscribing registers the calling
process under the topic, so a subscriber that dies is dropped at once, and a process subscribed
twice receives each message twice. Local delivery is one ``send`` per subscriber, in order.

Reaching other machines is the adapter's job (``PubSubAdapter``): ``broadcast`` hands every
message to the adapter as well as delivering it locally, and the adapter hands messages that
arrive from other nodes to ``deliver``, which sends them to this node's subscribers. The default
``LocalAdapter`` has no other nodes. A PostgreSQL LISTEN/NOTIFY adapter, for instance, would
NOTIFY in ``broadcast`` and LISTEN in a process it starts in ``start``; it plugs in with
``PubSub.start_link(name=..., adapter=PostgresAdapter(dsn))`` without changing this module.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Mapping
from typing import Any

from otp._exceptions import RegistryError, UnknownPubSubError, UnknownRegistryError
from otp._process import Exit, Pid, Process, _me, send
from otp._returns import NoReply, Ok, Stop
from otp.child_spec import ChildSpec
from otp.registry import _RegistryServer, _Table, _table

__all__ = ["LocalAdapter", "PubSub", "PubSubAdapter", "UnknownPubSubError"]

Deliver = Callable[[str, Any], None]
"""``deliver(topic, message)``: send a message that came from another node to local subscribers."""

_ADAPTER = "pubsub_adapter"


class PubSubAdapter(abc.ABC):
    """How a PubSub reaches its peers on other nodes (one adapter instance per PubSub).

    Lifecycle, all inside the PubSub's process:

    - ``await start(pubsub, deliver)`` during the PubSub's start. Start background work (a
      LISTEN loop) as otp processes *linked* to the caller (``spawn_link``): they then die with
      the PubSub, and if one crashes the PubSub stops with its reason and its supervisor
      restarts both. Call ``deliver(topic, message)`` from the event loop's thread for every
      message a peer published; it fans the message out locally.
    - ``broadcast(topic, message, exclude)`` for every ``broadcast``/``broadcast_from`` (not
      ``local_broadcast``). It must not block: queue the message and return. ``exclude`` is the
      local sender of ``broadcast_from``; peers have no such process, so it may be ignored.
      Messages cross a process boundary, so the adapter chooses a serialisation (JSON, pickle)
      and documents which messages it can carry.
    - ``await stop()`` when the PubSub stops gracefully (not when it is killed).
    """

    async def start(self, pubsub: str, deliver: Deliver) -> None:
        """Connect to the peers; ``deliver`` fans their messages out to local subscribers."""
        return None  # optional: an adapter without peers has nothing to connect

    @abc.abstractmethod
    def broadcast(self, topic: str, message: Any, exclude: Pid | None) -> None:
        """Send ``message`` on ``topic`` to the peers (not to local subscribers)."""

    async def stop(self) -> None:
        """Disconnect from the peers."""
        return None  # optional, like start


class LocalAdapter(PubSubAdapter):
    """A single node: there are no peers, so broadcasts stay local."""

    def broadcast(self, topic: str, message: Any, exclude: Pid | None) -> None:
        return None


class _PubSubServer(_RegistryServer):
    """The registry process, plus the adapter's lifecycle (it traps exits to stop it)."""

    async def init(self, table: _Table) -> Ok:  # type: ignore[override]
        Process.flag("trap_exit", True)
        result = await super().init(table)
        adapter: PubSubAdapter = table.meta[_ADAPTER]
        await adapter.start(table.name, lambda topic, message: _fanout(table, topic, message,
                                                                      None))
        return result

    async def handle_info(self, message: Any, state: _Table) -> NoReply | Stop:
        match message:
            case Exit(_, "normal"):
                return NoReply(state)
            case Exit(_, reason):
                # A process the adapter linked to us failed: restart the PubSub with it.
                return Stop(reason, state)
        return await super().handle_info(message, state)

    async def terminate(self, reason: Any, state: _Table) -> None:
        await state.meta[_ADAPTER].stop()


def _pubsub(name: str) -> tuple[_Table, PubSubAdapter]:
    try:
        table = _table(name)
    except UnknownRegistryError:
        raise UnknownPubSubError(name) from None
    adapter = table.meta.get(_ADAPTER)
    if adapter is None:
        raise RegistryError(
            ("not_a_pubsub", name),
            f"{name!r} is a Registry, not a PubSub; start one with PubSub.start_link(name=...)",
        )
    return table, adapter


def _fanout(table: _Table, topic: str, message: Any, exclude: Pid | None) -> None:
    subscribers = table.by_key.get(topic)
    if subscribers:
        for pid, subscriptions in subscribers.items():
            if pid is not exclude:
                for _ in subscriptions:
                    send(pid, message)


class PubSub:
    """Phoenix.PubSub's functions; ``pubsub`` is the name given to ``start_link``."""

    @staticmethod
    async def start_link(*, name: str, adapter: PubSubAdapter | None = None) -> Pid:
        """Start a PubSub named ``name``, linked to the caller (``LocalAdapter`` by default)."""
        if not isinstance(name, str) or not name:
            raise TypeError(f"a PubSub needs a non-empty str name; got {name!r}")
        table = _Table(name, "duplicate", {_ADAPTER: adapter or LocalAdapter()})
        pid = await _PubSubServer.start_link(table, name=name)
        assert pid is not None
        return pid

    @staticmethod
    def child_spec(options: Mapping[str, Any] | None = None, /, **kwargs: Any) -> ChildSpec:
        """A supervisor child that runs the PubSub (id ``(PubSub, name)``).

        ``PubSub.child_spec(name="pubsub")``, or in a children list
        ``(PubSub, {"name": "pubsub", "adapter": adapter})`` like Elixir's
        ``{Phoenix.PubSub, name: MyApp.PubSub}``. ``id``, ``restart``, ``shutdown`` override
        the child spec's fields.
        """
        opts = {**(options or {}), **kwargs}
        name, adapter = opts.pop("name", None), opts.pop("adapter", None)
        if name is None:
            raise TypeError("PubSub.child_spec needs name=")

        async def start() -> Pid:
            return await PubSub.start_link(name=name, adapter=adapter)

        return ChildSpec(**{"id": (PubSub, name), "start": (start, ()), **opts})

    @staticmethod
    def subscribe(pubsub: str, topic: str) -> None:
        """Subscribe the calling process to ``topic``; messages arrive in its mailbox as sent."""
        table, _ = _pubsub(pubsub)
        table.add(_me(), topic, None)

    @staticmethod
    def unsubscribe(pubsub: str, topic: str) -> None:
        """Drop every subscription of the calling process to ``topic``."""
        table, _ = _pubsub(pubsub)
        table.remove(_me().pid, topic)

    @staticmethod
    def broadcast(pubsub: str, topic: str, message: Any) -> None:
        """Send ``message`` to every subscriber of ``topic``, here and on the other nodes."""
        table, adapter = _pubsub(pubsub)
        adapter.broadcast(topic, message, None)
        _fanout(table, topic, message, None)

    @staticmethod
    def broadcast_from(pubsub: str, from_: Pid, topic: str, message: Any) -> None:
        """``broadcast``, except to ``from_`` (usually ``self()``: don't echo to the sender)."""
        table, adapter = _pubsub(pubsub)
        adapter.broadcast(topic, message, from_)
        _fanout(table, topic, message, from_)

    @staticmethod
    def local_broadcast(pubsub: str, topic: str, message: Any) -> None:
        """Send ``message`` to this node's subscribers of ``topic`` only."""
        table, _ = _pubsub(pubsub)
        _fanout(table, topic, message, None)

    @staticmethod
    def local_broadcast_from(pubsub: str, from_: Pid, topic: str, message: Any) -> None:
        """``local_broadcast``, except to ``from_``."""
        table, _ = _pubsub(pubsub)
        _fanout(table, topic, message, from_)

    @staticmethod
    def subscribers(pubsub: str, topic: str) -> list[Pid]:
        """The local subscribers of ``topic`` (a pid twice if it subscribed twice)."""
        table, _ = _pubsub(pubsub)
        return [pid for pid, _ in table.entries(topic)]
