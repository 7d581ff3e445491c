"""Registry: a local, process-aware key/value store (Elixir's ``Registry``).

A registry is a process (start it under a supervisor, before the processes that use it) that
owns a table. Processes register *themselves* under keys; reading the table (``lookup``,
``keys``, ``count``, ``dispatch``) is a plain dict read in the caller, no message round trip.

- ``keys="unique"``: one process per key; a second register fails with
  ``AlreadyRegisteredError`` carrying the holder's pid. Usable as a ``via`` name registry:
  ``GenServer.start(Room, name=Registry.via("rooms", "lobby"))``.
- ``keys="duplicate"``: many entries per key (also several from one process); the basis of
  ``PubSub``. Not usable for ``via`` names (a name must designate one process).

Entries vanish when their process exits: the registry hooks each registered process's exit
(the runtime's ``on_exit`` callbacks) and removes its entries synchronously as the process
terminates, so a ``lookup`` right after a process died never returns it. Elixir's registry
learns of the death through a message instead, which leaves a short window with stale entries.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Mapping
from typing import Any, Literal, TypeAlias

from otp._exceptions import AlreadyRegisteredError, RegistryError, UnknownRegistryError
from otp._node import Node, current_node
from otp._process import Pid, Via, _current, _me, _Proc
from otp._returns import Ok
from otp.child_spec import ChildSpec
from otp.gen_server import GenServer

__all__ = [
    "Keys",
    "Registry",
    "RegistryError",
    "UnknownRegistryError",
]

Keys: TypeAlias = Literal["unique", "duplicate"]
Entry: TypeAlias = tuple[Pid, Any]


class _Table:
    """The entries of one registry, and who holds them.

    Entries are grouped by key, then by pid, so that removing a process's entries costs the
    number of keys it holds, not the number of other processes under the same key (a PubSub
    topic may have thousands of subscribers).
    """

    __slots__ = ("__weakref__", "by_key", "by_pid", "closed", "keys", "meta", "name", "on_exit")

    def __init__(self, name: str, keys: Keys, meta: dict[Any, Any] | None = None) -> None:
        self.name = name
        self.keys = keys
        self.meta: dict[Any, Any] = dict(meta or {})
        self.closed = False
        # key -> pid -> its values under that key, in registration order (unique: one value)
        self.by_key: dict[Any, dict[Pid, list[Any]]] = {}
        # pid -> the keys it holds, each once, in registration order (a dict as ordered set)
        self.by_pid: dict[Pid, dict[Any, None]] = {}
        self.on_exit: Callable[[Pid, Any], None] = self._process_exited

    def entries(self, key: Any) -> list[Entry]:
        holders = self.by_key.get(key)
        if not holders:
            return []
        if len(holders) == 1:  # always so in a unique registry: skip the comprehension
            for pid, values in holders.items():
                if len(values) == 1:
                    return [(pid, values[0])]
        return [(pid, value) for pid, values in holders.items() for value in values]

    def add(self, proc: _Proc, key: Any, value: Any) -> None:
        if self.closed:
            raise UnknownRegistryError(self.name)
        pid = proc.pid
        holders = self.by_key.get(key)
        if holders is None:
            self.by_key[key] = {pid: [value]}
        elif self.keys == "unique":
            holder = next(iter(holders))
            raise AlreadyRegisteredError(
                holder,
                key,
                f"key {key!r} of registry {self.name!r} is already registered to {holder!r} "
                "(already_registered)",
            )
        else:
            holders.setdefault(pid, []).append(value)
        held = self.by_pid.get(pid)
        if held is None:
            self.by_pid[pid] = {key: None}
            if proc.on_exit is None:
                proc.on_exit = []
            proc.on_exit.append(self.on_exit)
        else:
            held[key] = None

    def remove(self, pid: Pid, key: Any) -> None:
        holders = self.by_key.get(key)
        if holders is None or holders.pop(pid, None) is None:
            return
        if not holders:
            del self.by_key[key]
        held = self.by_pid[pid]
        del held[key]
        if not held:
            del self.by_pid[pid]
            proc = pid._proc
            if proc is not None and proc.on_exit and self.on_exit in proc.on_exit:
                proc.on_exit.remove(self.on_exit)

    def _process_exited(self, pid: Pid, reason: Any) -> None:
        for key in self.by_pid.pop(pid, ()):
            holders = self.by_key.get(key)
            if holders is not None:
                holders.pop(pid, None)
                if not holders:
                    del self.by_key[key]

    def close(self, pid: Pid, reason: Any) -> None:
        """The registry process exited: drop the table and unhook the registered processes."""
        self.closed = True
        _index_of(self).pop(self.name, None)
        for holder in self.by_pid:
            proc = holder._proc
            if proc is not None and proc.on_exit and self.on_exit in proc.on_exit:
                proc.on_exit.remove(self.on_exit)
        self.by_key.clear()
        self.by_pid.clear()


# Tables per node (one node per event loop), by registry name; a registry's name is also its
# process name. The last node used is cached: a lookup from inside a process then costs a
# context variable read and two dict reads, without asking asyncio for the running loop.
_indexes: weakref.WeakKeyDictionary[Node, dict[str, _Table]] = weakref.WeakKeyDictionary()
_table_nodes: weakref.WeakKeyDictionary[_Table, Node] = weakref.WeakKeyDictionary()
_last: tuple[Node | None, dict[str, _Table]] = (None, {})


def _index() -> dict[str, _Table]:
    global _last
    proc = _current.get()
    node = proc.node if proc is not None else current_node()
    last = _last  # one read: a loop in another thread may replace it between two
    if last[0] is node:
        return last[1]
    index = _indexes.get(node)
    if index is None:
        index = _indexes[node] = {}
    _last = (node, index)
    return index


def _index_of(table: _Table) -> dict[str, _Table]:
    node = _table_nodes.get(table)
    return _indexes.get(node, {}) if node is not None else {}


def _table(registry: str) -> _Table:
    try:
        return _index()[registry]
    except KeyError:
        raise UnknownRegistryError(registry) from None


class _RegistryServer(GenServer):
    """The process that owns a registry's table: it publishes the table in ``init`` and the
    table closes when the process exits, however it exits (even when killed)."""

    async def init(self, table: _Table) -> Ok:
        index = _index()
        proc = _me()
        _table_nodes[table] = proc.node
        index[table.name] = table
        if proc.on_exit is None:
            proc.on_exit = []
        proc.on_exit.append(table.close)
        return Ok(table)


def _check_keys(keys: Any) -> Keys:
    if keys not in ("unique", "duplicate"):
        raise ValueError(f"Registry keys must be 'unique' or 'duplicate'; got {keys!r}")
    return keys


class Registry:
    """Elixir's ``Registry`` module, as static functions; ``registry`` is the registry's name."""

    @staticmethod
    async def start_link(*, keys: Keys, name: str, meta: dict[Any, Any] | None = None) -> Pid:
        """Start a registry process named ``name``, linked to the caller.

        ``meta`` is read-mostly data stored with the registry (``Registry.meta``).
        """
        if not isinstance(name, str) or not name:
            raise TypeError(f"a registry needs a non-empty str name; got {name!r}")
        table = _Table(name, _check_keys(keys), meta)
        pid = await _RegistryServer.start_link(table, name=name)
        assert pid is not None
        return pid

    @staticmethod
    def child_spec(options: Mapping[str, Any] | None = None, /, **kwargs: Any) -> ChildSpec:
        """A supervisor child that runs the registry (id ``(Registry, name)``).

        ``Registry.child_spec(keys="unique", name="rooms")``, or in a children list
        ``(Registry, {"keys": "unique", "name": "rooms"})`` like Elixir's
        ``{Registry, keys: :unique, name: Rooms}``. ``id``, ``restart``, ``shutdown`` override
        the child spec's fields.
        """
        opts = {**(options or {}), **kwargs}
        keys, name, meta = opts.pop("keys", None), opts.pop("name", None), opts.pop("meta", None)
        if keys is None or name is None:
            raise TypeError("Registry.child_spec needs keys= ('unique' or 'duplicate') and name=")
        _check_keys(keys)

        async def start() -> Pid:
            return await Registry.start_link(keys=keys, name=name, meta=meta)

        return ChildSpec(**{"id": (Registry, name), "start": (start, ()), **opts})

    @staticmethod
    def register(registry: str, key: Any, value: Any = None) -> None:
        """Register the calling process under ``key`` with ``value``.

        Unique registries raise ``AlreadyRegisteredError`` (``.pid`` is the holder) when the
        key is taken, also when the caller itself holds it.
        """
        _table(registry).add(_me(), key, value)

    @staticmethod
    def unregister(registry: str, key: Any) -> None:
        """Remove the calling process's entries under ``key`` (no error when there are none)."""
        _table(registry).remove(_me().pid, key)

    @staticmethod
    def lookup(registry: str, key: Any) -> list[Entry]:
        """``[(pid, value), ...]`` registered under ``key`` (empty when none)."""
        return _table(registry).entries(key)

    @staticmethod
    def keys(registry: str, pid: Pid) -> list[Any]:
        """The keys ``pid`` is registered under (a key twice if it registered it twice)."""
        table = _table(registry)
        return [key for key in table.by_pid.get(pid, ()) for _ in table.by_key[key][pid]]

    @staticmethod
    def values(registry: str, key: Any, pid: Pid) -> list[Any]:
        """The values ``pid`` registered under ``key``."""
        return list(_table(registry).by_key.get(key, {}).get(pid, ()))

    @staticmethod
    def count(registry: str) -> int:
        """How many entries the registry holds."""
        return sum(
            len(values) for holders in _table(registry).by_key.values()
            for values in holders.values()
        )

    @staticmethod
    def dispatch(registry: str, key: Any, fn: Callable[[list[Entry]], Any]) -> None:
        """Call ``fn(entries)`` with every ``(pid, value)`` under ``key``; not called if none.

        ``fn`` runs in the caller, like Elixir's ``dispatch/3`` (a broadcast is
        ``lambda entries: [send(pid, msg) for pid, _ in entries]``).
        """
        entries = _table(registry).entries(key)
        if entries:
            fn(entries)

    @staticmethod
    def meta(registry: str, key: Any, default: Any = None) -> Any:
        """A value of the registry's ``meta`` (given at start or with ``put_meta``)."""
        return _table(registry).meta.get(key, default)

    @staticmethod
    def put_meta(registry: str, key: Any, value: Any) -> None:
        """Store ``value`` under ``key`` in the registry's ``meta``."""
        _table(registry).meta[key] = value

    @staticmethod
    def keys_kind(registry: str) -> Keys:
        """Whether the registry has ``"unique"`` or ``"duplicate"`` keys."""
        return _table(registry).keys

    # -- the Via protocol: Registry.via(registry, key) names a process -------------------------

    @staticmethod
    def via(registry: str, key: Any) -> Via:
        """A process name kept in the unique registry ``registry`` under ``key``."""
        return Via(Registry, (registry, key))

    @staticmethod
    def register_name(name: tuple[str, Any], pid: Pid) -> bool:
        """Via protocol: register ``pid`` under ``key``; False when the key is taken."""
        registry, key = name
        table = _table(registry)
        if table.keys != "unique":
            raise RegistryError(
                ("via_needs_unique_keys", registry),
                f"registry {registry!r} has duplicate keys, so it cannot name processes: a "
                "via name must designate exactly one process. Start a registry with "
                "keys='unique' for names",
            )
        proc = pid._proc
        if proc is None or key in table.by_key:
            return False
        table.add(proc, key, None)
        return True

    @staticmethod
    def unregister_name(name: tuple[str, Any]) -> None:
        """Via protocol: forget ``key`` (whoever holds it)."""
        registry, key = name
        table = _index().get(registry)
        if table is not None:
            for pid in list(table.by_key.get(key, ())):
                table.remove(pid, key)

    @staticmethod
    def whereis_name(name: tuple[str, Any]) -> Pid | None:
        """Via protocol: the pid registered under ``key``, or None (also if the registry is
        gone, so a call through a dead registry fails with ``noproc`` like any dead name)."""
        registry, key = name
        table = _index().get(registry)
        if table is None:
            return None
        holders = table.by_key.get(key)
        return next(iter(holders)) if holders else None
