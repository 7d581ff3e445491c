"""Registry: unique and duplicate keys, via names, dispatch, cleanup when processes die."""

from __future__ import annotations

import asyncio
import dis
import sys
from typing import Any

import otp.registry as registry
import pytest
from otp import (
    AlreadyRegisteredError,
    AlreadyStartedError,
    GenServer,
    NoProcError,
    Ok,
    Pid,
    Process,
    Reply,
    StartError,
    Supervisor,
    receive,
    self,
    send,
    spawn,
)
from otp.registry import Registry, RegistryError, UnknownRegistryError

pytestmark = pytest.mark.usefixtures("no_leaks")


@pytest.fixture
async def unique() -> Any:
    pid = await Registry.start_link(keys="unique", name="names")
    yield "names"
    Process.exit(pid, "kill")


@pytest.fixture
async def duplicate() -> Any:
    pid = await Registry.start_link(keys="duplicate", name="topics")
    yield "topics"
    Process.exit(pid, "kill")


async def registered(registry: str, *keys_and_values: tuple[Any, Any]) -> Pid:
    """A process that registers itself under each (key, value), then waits to be killed."""
    parent = self()

    async def body() -> None:
        for key, value in keys_and_values:
            Registry.register(registry, key, value)
        send(parent, ("registered", self()))
        await receive(lambda m: m == "never")

    pid = spawn(body)
    await receive(lambda m: m == ("registered", pid), timeout=2)
    return pid


class Room(GenServer):
    async def init(self, topic: str) -> Ok:
        return Ok(topic)

    async def handle_call(self, request: Any, from_: Any, state: str) -> Reply:
        return Reply(("topic", state), state)


# --- unique keys ------------------------------------------------------------------------


async def test_unique_register_then_lookup_returns_the_pid_and_value(unique: str) -> None:
    pid = await registered(unique, ("alice", {"age": 3}))
    assert Registry.lookup(unique, "alice") == [(pid, {"age": 3})]
    assert Registry.lookup(unique, "bob") == []
    Process.exit(pid, "kill")


async def test_a_second_register_of_a_unique_key_fails_with_already_registered_and_the_holder(
    unique: str,
) -> None:
    holder = await registered(unique, ("alice", 1))
    with pytest.raises(AlreadyRegisteredError) as info:
        Registry.register(unique, "alice", 2)
    assert info.value.pid is holder
    assert info.value.reason == ("already_registered", holder)
    assert Registry.lookup(unique, "alice") == [(holder, 1)]
    Process.exit(holder, "kill")


async def test_registering_the_same_unique_key_twice_from_one_process_fails(unique: str) -> None:
    Registry.register(unique, "me")
    with pytest.raises(AlreadyRegisteredError) as info:
        Registry.register(unique, "me")
    assert info.value.pid == self()
    Registry.unregister(unique, "me")


async def test_unique_entries_disappear_when_their_process_dies(unique: str) -> None:
    pid = await registered(unique, ("alice", None), ("carol", None))
    Process.exit(pid, "kill")
    assert Registry.lookup(unique, "alice") == []
    assert Registry.count(unique) == 0
    assert Registry.keys(unique, pid) == []
    Registry.register(unique, "alice")  # the key is free again
    Registry.unregister(unique, "alice")


async def test_entries_disappear_when_their_process_returns_normally(unique: str) -> None:
    async def body() -> None:
        Registry.register(unique, "short-lived")

    pid = spawn(body)
    ref = Process.monitor(pid)
    await receive(lambda m: getattr(m, "ref", None) is ref, timeout=2)
    assert Registry.lookup(unique, "short-lived") == []


async def test_unregister_removes_only_the_callers_entry(unique: str) -> None:
    other = await registered(unique, ("theirs", None))
    Registry.register(unique, "mine")
    Registry.unregister(unique, "mine")
    Registry.unregister(unique, "theirs")  # not ours: nothing happens
    Registry.unregister(unique, "never-registered")
    assert Registry.lookup(unique, "mine") == []
    assert Registry.lookup(unique, "theirs") == [(other, None)]
    Process.exit(other, "kill")


async def test_keys_lists_what_a_process_registered_and_count_counts_entries(
    unique: str,
) -> None:
    a = await registered(unique, ("k1", None), ("k2", None))
    b = await registered(unique, ("k3", None))
    assert Registry.keys(unique, a) == ["k1", "k2"]
    assert Registry.count(unique) == 3
    Process.exit(a, "kill")
    assert Registry.count(unique) == 1
    Process.exit(b, "kill")


async def test_lookups_are_plain_function_calls_without_a_message_round_trip(
    unique: str,
) -> None:
    # The registry process is suspended (no loop turn happens between these lines), and still
    # the lookups answer: they read the table directly.
    Registry.register(unique, "now")
    assert Registry.lookup(unique, "now") == [(self(), None)]
    assert Registry.values(unique, "now", self()) == [None]
    Registry.unregister(unique, "now")


# --- via names --------------------------------------------------------------------------


async def test_via_names_work_with_genserver_start_and_call(unique: str) -> None:
    name = Registry.via(unique, ("room", "lobby"))
    pid = await Room.start(name=name)
    assert Registry.lookup(unique, ("room", "lobby")) == [(pid, None)]
    assert await Room.call(name, "topic?") == ("topic", None)
    await GenServer.stop(name)


async def test_a_second_start_under_a_taken_via_name_returns_already_started(
    unique: str,
) -> None:
    name = Registry.via(unique, "lobby")
    pid = await Room.start("first", name=name)
    with pytest.raises(AlreadyStartedError) as info:
        await Room.start("second", name=name)
    assert info.value.pid is pid
    await GenServer.stop(pid)


async def test_a_via_name_fails_with_noproc_after_the_process_dies(unique: str) -> None:
    name = Registry.via(unique, "doomed")
    pid = await Room.start("x", name=name)
    Process.exit(pid, "kill")
    with pytest.raises(NoProcError) as info:
        await GenServer.call(name, "topic?")
    assert info.value.reason == "noproc"
    assert Registry.whereis_name((unique, "doomed")) is None


async def test_via_names_are_not_allowed_for_duplicate_registries(
    duplicate: str, caplog: pytest.LogCaptureFixture
) -> None:
    with pytest.raises(StartError) as info:
        await Room.start("x", name=Registry.via(duplicate, "lobby"))
    error = info.value.reason
    assert isinstance(error, RegistryError)
    assert error.reason == ("via_needs_unique_keys", duplicate)
    assert "keys='unique'" in str(error)


async def test_a_via_name_in_a_registry_that_is_not_running_is_noproc() -> None:
    with pytest.raises(NoProcError):
        await GenServer.call(Registry.via("nowhere", "x"), "hello")


# --- duplicate keys ---------------------------------------------------------------------


async def test_duplicate_keys_hold_many_entries_per_key_in_registration_order(
    duplicate: str,
) -> None:
    a = await registered(duplicate, ("news", "a"))
    b = await registered(duplicate, ("news", "b"), ("news", "b2"))
    assert Registry.lookup(duplicate, "news") == [(a, "a"), (b, "b"), (b, "b2")]
    assert Registry.keys(duplicate, b) == ["news", "news"]
    for pid in (a, b):
        Process.exit(pid, "kill")


async def test_dispatch_calls_back_with_all_entries(duplicate: str) -> None:
    a = await registered(duplicate, ("jobs", 1))
    b = await registered(duplicate, ("jobs", 2))
    seen: list[list[tuple[Pid, Any]]] = []
    Registry.dispatch(duplicate, "jobs", seen.append)
    assert seen == [[(a, 1), (b, 2)]]
    for pid in (a, b):
        Process.exit(pid, "kill")


async def test_dispatch_does_not_call_back_when_nobody_is_registered(duplicate: str) -> None:
    Registry.dispatch(duplicate, "empty", lambda entries: pytest.fail("called"))


async def test_dead_duplicate_entries_are_removed_and_the_others_stay(duplicate: str) -> None:
    a = await registered(duplicate, ("news", None))
    b = await registered(duplicate, ("news", None))
    Process.exit(a, "kill")
    assert Registry.lookup(duplicate, "news") == [(b, None)]
    Process.exit(b, "kill")
    assert Registry.lookup(duplicate, "news") == []


async def test_unregister_in_a_duplicate_registry_removes_all_the_callers_entries_for_the_key(
    duplicate: str,
) -> None:
    other = await registered(duplicate, ("news", "other"))
    Registry.register(duplicate, "news", 1)
    Registry.register(duplicate, "news", 2)
    Registry.unregister(duplicate, "news")
    assert Registry.lookup(duplicate, "news") == [(other, "other")]
    Process.exit(other, "kill")


# --- the registry process ---------------------------------------------------------------


async def test_an_unknown_registry_raises_an_error_that_says_how_to_start_it() -> None:
    with pytest.raises(UnknownRegistryError, match=r"Registry.start_link\(keys='unique'"):
        Registry.lookup("missing", "key")


async def test_when_the_registry_exits_its_table_goes_away() -> None:
    registry = await Registry.start_link(keys="unique", name="short")
    Registry.register("short", "me")
    Process.exit(registry, "kill")
    with pytest.raises(UnknownRegistryError):
        Registry.lookup("short", "me")
    again = await Registry.start_link(keys="unique", name="short")
    assert Registry.lookup("short", "me") == []  # a fresh table
    Process.exit(again, "kill")


async def test_a_second_registry_with_the_same_name_is_already_started(unique: str) -> None:
    with pytest.raises(AlreadyStartedError):
        await Registry.start_link(keys="duplicate", name=unique)


async def test_keys_must_be_unique_or_duplicate() -> None:
    with pytest.raises(ValueError, match="'unique' or 'duplicate'"):
        await Registry.start_link(keys="single", name="bad")  # type: ignore[arg-type]


async def test_a_registry_in_a_supervision_tree_names_the_children_started_after_it() -> None:
    children = [
        (Registry, {"keys": "unique", "name": "rooms"}),
        Room.child_spec("lobby", name=Registry.via("rooms", "lobby")),
    ]
    sup = await Supervisor.start_link(children, strategy="rest_for_one")
    assert await GenServer.call(Registry.via("rooms", "lobby"), "topic?") == ("topic", "lobby")
    await Supervisor.stop(sup)
    with pytest.raises(UnknownRegistryError):
        Registry.lookup("rooms", "lobby")


def test_a_registry_child_spec_needs_keys_and_name() -> None:
    with pytest.raises(TypeError, match="keys="):
        Registry.child_spec(name="rooms")
    spec = Registry.child_spec({"keys": "duplicate", "name": "rooms"}, restart="transient")
    assert (spec.id, spec.restart) == ((Registry, "rooms"), "transient")


# -- two event loops in two threads ----------------------------------------------------------------


def _tracer_swapping_the_cache_after_its_check(function, replacement):
    """A ``sys.settrace`` tracer that sets ``registry._last = replacement`` right after
    ``function`` compares the cached node: what a loop in another thread does if the interpreter
    switches threads at that instruction (too rare to catch by running two threads)."""
    instructions = list(dis.get_instructions(function))
    first_read = next(
        i
        for i, ins in enumerate(instructions)
        if ins.opname == "LOAD_GLOBAL" and ins.argval == "_last"
    )
    check = next(ins for ins in instructions[first_read:] if ins.opname == "IS_OP")
    swap_at = check.offset + 2  # the instruction after the comparison

    def trace_opcodes(frame, event, arg):
        if event == "opcode" and frame.f_lasti == swap_at:
            registry._last = replacement
        return trace_opcodes

    def trace_calls(frame, event, arg):
        if frame.f_code is function.__code__:
            frame.f_trace_opcodes = True
            return trace_opcodes
        return None

    return trace_calls


async def test_a_registry_read_never_pairs_this_loops_node_with_another_threads_table():
    def in_another_thread() -> Any:
        async def use_a_registry_there():
            await Registry.start_link(keys="unique", name="shared")
            Registry.register("shared", "who", "the other loop")
            assert Registry.lookup("shared", "who") == [(self(), "the other loop")]
            return registry._last  # (that loop's node, its tables)

        return asyncio.run(use_a_registry_there())

    pid = await Registry.start_link(keys="unique", name="shared")
    Registry.register("shared", "who", "this loop")
    others_cache = await asyncio.to_thread(in_another_thread)
    Registry.lookup("shared", "who")  # this loop's node is the cached one again

    sys.settrace(_tracer_swapping_the_cache_after_its_check(registry._index, others_cache))
    try:
        seen = Registry.lookup("shared", "who")
    finally:
        sys.settrace(None)
    assert seen == [(self(), "this loop")]
    Process.exit(pid, "kill")
