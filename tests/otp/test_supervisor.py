"""Supervisor: start order, strategies, restart types, intensity, shutdown, child operations.

One test per behaviour of the Supervisor section of otp-semantics.md. Children are journaled
workers (tests/otp/supervision_probes.py); waiting is done with calls to the supervisor, which
it answers only after the exit signals queued before them.
"""

import asyncio
import math

import otp
import pytest
from otp import ChildCounts, Down, GenServer, Process, StartError, Supervisor, SupervisorError
from supervision_probes import Journal, Worker, crash, settle, supervisor, worker

pytestmark = pytest.mark.usefixtures("no_leaks")


async def pids(sup):
    return {child.id: child.pid for child in await Supervisor.which_children(sup)}


async def start(journal, children, **options):
    return await Supervisor.start_link(children, clock=journal.clock, **options)


# -- starting ----------------------------------------------------------------------------------


async def test_children_start_in_the_order_given():
    journal = Journal()
    sup = await start(journal, [worker(journal, "a"), worker(journal, "b"), worker(journal, "c")])
    assert journal.starts() == ["a", "b", "c"]
    await Supervisor.stop(sup)


async def test_failed_child_start_stops_started_children_in_reverse_and_raises_start_error():
    journal = Journal()
    children = [
        worker(journal, "a"),
        worker(journal, "b"),
        worker(journal, "bad", init=("stop", "no_database")),
        worker(journal, "never"),
    ]
    with pytest.raises(StartError) as raised:
        await start(journal, children)
    assert raised.value.reason == ("shutdown", ("failed_to_start_child", "bad", "no_database"))
    assert journal.events == [
        ("start", "a"),
        ("start", "b"),
        ("stop", "b", "shutdown"),
        ("stop", "a", "shutdown"),
    ]
    assert Process.list() == []


async def test_a_child_whose_start_raises_reports_the_exception_as_reason():
    async def broken_start():
        raise OSError("port in use")

    with pytest.raises(StartError) as raised:
        await Supervisor.start_link([{"id": "net", "start": broken_start}])
    _, (tag, child_id, reason) = raised.value.reason
    assert (tag, child_id, type(reason)) == ("failed_to_start_child", "net", OSError)


async def test_ignored_child_stays_listed_with_pid_none():
    journal = Journal()
    sup = await start(journal, [worker(journal, "a"), worker(journal, "skip", init="ignore")])
    assert (await pids(sup))["skip"] is None
    await Supervisor.stop(sup)


async def test_duplicate_child_ids_are_rejected_at_start():
    journal = Journal()
    with pytest.raises(StartError) as raised:
        await start(journal, [worker(journal, "a"), worker(journal, "a")])
    assert raised.value.reason == ("start_spec", ("duplicate_child_name", "a"))
    assert journal.starts() == []


async def test_children_may_be_given_as_classes_and_class_argument_pairs():
    sup = await Supervisor.start_link([(Worker, (Journal(), "w", {}))])
    [child] = await Supervisor.which_children(sup)
    assert (child.id, child.type, child.modules) == (Worker, "worker", (Worker,))
    assert await GenServer.call(child.pid, "ping") == "pong"
    await Supervisor.stop(sup)


async def test_a_named_supervisor_is_reachable_by_its_name():
    sup = await Supervisor.start_link([], name="top")
    assert Process.whereis("top") is sup
    assert await Supervisor.which_children("top") == []
    await Supervisor.stop("top")


# -- strategies --------------------------------------------------------------------------------


async def crash_b_under(strategy, ids):
    """Start workers ``ids`` under ``strategy`` and crash ``b``; the journal then holds only
    what the crash caused. Returns the journal, the supervisor and the pids before the crash."""
    journal = Journal()
    sup = await start(journal, [worker(journal, k) for k in ids], strategy=strategy)
    before = await pids(sup)
    journal.clear()
    await crash(before["b"])
    await settle(sup)
    return journal, sup, before


async def test_one_for_one_restarts_only_the_crashed_child():
    journal, sup, before = await crash_b_under("one_for_one", "abc")
    after = await pids(sup)
    assert journal.events == [("stop", "b", "RuntimeError"), ("start", "b")]
    assert after["b"] != before["b"] and Process.alive(after["b"])
    assert (after["a"], after["c"]) == (before["a"], before["c"])
    await Supervisor.stop(sup)


async def test_one_for_all_stops_the_others_in_reverse_order_and_restarts_all_in_start_order():
    journal, sup, before = await crash_b_under("one_for_all", "abc")
    assert journal.events == [
        ("stop", "b", "RuntimeError"),
        ("stop", "c", "shutdown"),
        ("stop", "a", "shutdown"),
        ("start", "a"),
        ("start", "b"),
        ("start", "c"),
    ]
    after = await pids(sup)
    assert all(after[k] != before[k] for k in "abc")
    await Supervisor.stop(sup)


async def test_rest_for_one_restarts_the_crashed_child_and_those_started_after_it():
    journal, sup, before = await crash_b_under("rest_for_one", "abcd")
    assert journal.events == [
        ("stop", "b", "RuntimeError"),
        ("stop", "d", "shutdown"),
        ("stop", "c", "shutdown"),
        ("start", "b"),
        ("start", "c"),
        ("start", "d"),
    ]
    assert (await pids(sup))["a"] == before["a"]
    await Supervisor.stop(sup)


# -- restart types -----------------------------------------------------------------------------


async def test_permanent_child_is_restarted_even_after_a_normal_exit():
    journal = Journal()
    sup = await start(journal, [worker(journal, "p")])
    await crash((await pids(sup))["p"], "normal")
    await settle(sup)
    assert journal.starts() == ["p", "p"]
    await Supervisor.stop(sup)


async def test_transient_child_is_restarted_after_a_crash():
    journal = Journal()
    sup = await start(journal, [worker(journal, "t", restart="transient")])
    await crash((await pids(sup))["t"], "kill")
    await settle(sup)
    assert journal.starts() == ["t", "t"]
    await Supervisor.stop(sup)


@pytest.mark.parametrize("reason", ["normal", "shutdown", ("shutdown", "maintenance")])
async def test_transient_child_stays_down_after_normal_shutdown_or_shutdown_tuple(reason):
    journal = Journal()
    sup = await start(journal, [worker(journal, "t", restart="transient")])
    await GenServer.call((await pids(sup))["t"], ("stop", reason))
    await settle(sup)
    assert journal.starts() == ["t"]
    assert await pids(sup) == {"t": None}
    await Supervisor.stop(sup)


async def test_temporary_child_is_never_restarted_and_is_removed_from_the_children():
    journal = Journal()
    sup = await start(
        journal, [worker(journal, "keep"), worker(journal, "tmp", restart="temporary")]
    )
    await crash((await pids(sup))["tmp"])
    await settle(sup)
    assert journal.starts() == ["keep", "tmp"]
    assert list(await pids(sup)) == ["keep"]
    await Supervisor.stop(sup)


# -- intensity ---------------------------------------------------------------------------------


async def test_the_fourth_restart_within_five_seconds_shuts_the_supervisor_down():
    journal = Journal()
    sup = await start(journal, [worker(journal, "a"), worker(journal, "b")])
    watch = Process.monitor(sup)
    for t in (0.0, 1.0, 2.0):
        journal.clock.now = t
        await crash((await pids(sup))["a"])
        await settle(sup)
    assert Process.alive(sup) and journal.starts().count("a") == 4
    journal.clear()
    journal.clock.now = 4.9
    await crash((await pids(sup))["a"])
    down = await otp.receive(lambda m: isinstance(m, Down) and m.ref is watch, timeout=5)
    assert down.reason == "shutdown"
    assert journal.events == [("stop", "a", "RuntimeError"), ("stop", "b", "shutdown")]
    assert Process.list() == []


async def test_restarts_older_than_the_window_are_forgotten():
    journal = Journal()
    sup = await start(journal, [worker(journal, "a")], max_restarts=1, max_seconds=5.0)
    journal.clock.now = 0.0
    await crash((await pids(sup))["a"])
    await settle(sup)
    journal.clock.now = 5.1
    await crash((await pids(sup))["a"])
    await settle(sup)
    assert Process.alive(sup) and journal.starts() == ["a", "a", "a"]
    await Supervisor.stop(sup)


async def test_normal_exits_of_a_permanent_child_count_as_restarts():
    journal = Journal()
    sup = await start(journal, [worker(journal, "a")], max_restarts=1)
    watch = Process.monitor(sup)
    await crash((await pids(sup))["a"], "normal")
    await crash((await pids(sup))["a"], "normal")
    down = await otp.receive(lambda m: isinstance(m, Down) and m.ref is watch, timeout=5)
    assert down.reason == "shutdown"


async def test_escalation_makes_the_parent_supervisor_restart_the_child_supervisor():
    journal = Journal()
    inner = supervisor(journal, "inner", [worker(journal, "w")], max_restarts=0)
    sup = await start(journal, [worker(journal, "sibling"), inner], strategy="one_for_one")
    inner_pid = (await pids(sup))["inner"]
    journal.clear()
    await crash(journal.pids["w"])
    await settle(inner_pid, sup)
    assert journal.events == [
        ("stop", "w", "RuntimeError"),
        ("start", "inner"),
        ("start", "w"),
    ]
    assert (await pids(sup))["inner"] != inner_pid
    await Supervisor.stop(sup)


async def test_a_failed_restart_is_retried_until_the_child_starts():
    journal = Journal()
    flaky = worker(journal, "w", init_plans=[None, ("stop", "flaky"), None])
    sup = await start(journal, [flaky])
    await crash((await pids(sup))["w"])
    await settle(sup)
    await settle(sup)  # the retry is a message the supervisor sent itself
    assert journal.starts() == ["w", "w"]
    assert Process.alive((await pids(sup))["w"])
    await Supervisor.stop(sup)


async def test_failed_restart_attempts_count_toward_the_intensity():
    journal = Journal()
    broken = worker(journal, "w", init_plans=[None] + [("stop", "still_broken")] * 5)
    sup = await start(journal, [broken], max_restarts=2)
    watch = Process.monitor(sup)
    await crash((await pids(sup))["w"])
    down = await otp.receive(lambda m: isinstance(m, Down) and m.ref is watch, timeout=5)
    assert down.reason == "shutdown"
    assert journal.starts() == ["w"]


async def test_the_default_intensity_is_three_restarts_in_five_seconds():
    spec = Supervisor.init_spec([])
    assert (spec.max_restarts, spec.max_seconds) == (3, 5.0)


# -- shutdown ----------------------------------------------------------------------------------


async def test_children_stop_in_reverse_start_order():
    journal = Journal()
    sup = await start(journal, [worker(journal, k) for k in "abc"])
    journal.clear()
    await Supervisor.stop(sup)
    assert journal.events == [("stop", k, "shutdown") for k in "cba"]


async def test_a_supervisor_stops_its_children_in_reverse_when_its_parent_exits():
    journal = Journal()
    shell = otp.self()

    async def parent():
        sup = await start(journal, [worker(journal, k) for k in "ab"])
        otp.send(shell, sup)
        await otp.receive()
        otp.exit("shutdown")

    parent_pid = otp.spawn(parent)
    sup = await otp.receive(timeout=5)
    watch = Process.monitor(sup)
    otp.send(parent_pid, "go")
    down = await otp.receive(lambda m: isinstance(m, Down) and m.ref is watch, timeout=5)
    assert down.reason == "shutdown"
    assert journal.stops() == ["b", "a"]
    assert Process.list() == []


async def test_nested_supervisor_stops_its_children_before_the_parent_goes_on():
    journal = Journal()
    inner = supervisor(journal, "inner", [worker(journal, "x"), worker(journal, "y")])
    sup = await start(journal, [worker(journal, "a"), inner, worker(journal, "z")])
    journal.clear()
    await Supervisor.stop(sup)
    assert journal.stops() == ["z", "y", "x", "a"]


async def test_a_worker_that_outlives_its_shutdown_timeout_is_killed():
    journal = Journal()
    never = asyncio.Event()
    stubborn = worker(journal, "slow", shutdown=0.05, hang_in_terminate=never)
    sup = await start(journal, [stubborn])
    child = (await pids(sup))["slow"]
    watch = Process.monitor(child)
    await Supervisor.stop(sup)
    down = await otp.receive(lambda m: isinstance(m, Down) and m.ref is watch, timeout=0)
    assert down.reason == "killed"
    assert journal.events[-1] == ("stop", "slow", "shutdown")  # terminate began, then the kill


async def test_brutal_kill_kills_at_once_without_terminate():
    journal = Journal()
    sup = await start(journal, [worker(journal, "b", shutdown="brutal_kill")])
    child = (await pids(sup))["b"]
    watch = Process.monitor(child)
    journal.clear()
    await Supervisor.stop(sup)
    down = await otp.receive(lambda m: isinstance(m, Down) and m.ref is watch, timeout=0)
    assert down.reason == "killed"
    assert journal.events == []


async def test_a_child_that_does_not_trap_exits_dies_without_terminate():
    journal = Journal()
    sup = await start(journal, [worker(journal, "plain", trap=False)])
    child = (await pids(sup))["plain"]
    watch = Process.monitor(child)
    journal.clear()
    await Supervisor.stop(sup)
    down = await otp.receive(lambda m: isinstance(m, Down) and m.ref is watch, timeout=0)
    assert down.reason == "shutdown"
    assert journal.events == []


async def test_a_supervisor_child_waits_for_its_children_by_default():
    spec = Supervisor.child_spec([])
    assert (spec.type, spec.shutdown_timeout) == ("supervisor", math.inf)


# -- introspection and child operations ----------------------------------------------------------


async def test_which_children_lists_the_newest_first():
    journal = Journal()
    sup = await start(journal, [worker(journal, "a"), worker(journal, "b")])
    await Supervisor.start_child(sup, worker(journal, "c"))
    assert list(await pids(sup)) == ["c", "b", "a"]
    await Supervisor.stop(sup)


async def test_count_children_counts_specs_active_supervisors_and_workers():
    journal = Journal()
    children = [
        worker(journal, "a"),
        worker(journal, "off", init="ignore"),
        supervisor(journal, "inner", []),
    ]
    sup = await start(journal, children)
    counts = await Supervisor.count_children(sup)
    assert counts == ChildCounts(specs=3, active=2, supervisors=1, workers=2)
    await Supervisor.stop(sup)


async def test_terminate_child_keeps_the_spec_and_restart_child_starts_it_again():
    journal = Journal()
    sup = await start(journal, [worker(journal, "a")])
    await Supervisor.terminate_child(sup, "a")
    assert await pids(sup) == {"a": None}
    new = await Supervisor.restart_child(sup, "a")
    assert (await pids(sup))["a"] is new and Process.alive(new)
    assert journal.events == [("start", "a"), ("stop", "a", "shutdown"), ("start", "a")]
    await Supervisor.stop(sup)


async def test_terminating_a_temporary_child_forgets_it():
    journal = Journal()
    sup = await start(journal, [worker(journal, "tmp", restart="temporary")])
    await Supervisor.terminate_child(sup, "tmp")
    assert await pids(sup) == {}
    await Supervisor.stop(sup)


async def test_restart_child_of_a_running_child_raises_running():
    journal = Journal()
    sup = await start(journal, [worker(journal, "a")])
    with pytest.raises(SupervisorError) as raised:
        await Supervisor.restart_child(sup, "a")
    assert raised.value.reason == "running"
    await Supervisor.stop(sup)


async def test_delete_child_only_works_on_a_stopped_child():
    journal = Journal()
    sup = await start(journal, [worker(journal, "a")])
    with pytest.raises(SupervisorError) as raised:
        await Supervisor.delete_child(sup, "a")
    assert raised.value.reason == "running"
    await Supervisor.terminate_child(sup, "a")
    await Supervisor.delete_child(sup, "a")
    assert await pids(sup) == {}
    await Supervisor.stop(sup)


async def test_operations_on_an_unknown_id_raise_not_found():
    sup = await Supervisor.start_link([])
    for operation in (
        Supervisor.terminate_child,
        Supervisor.restart_child,
        Supervisor.delete_child,
    ):
        with pytest.raises(SupervisorError) as raised:
            await operation(sup, "ghost")
        assert raised.value.reason == "not_found"
    await Supervisor.stop(sup)


async def test_start_child_with_the_id_of_a_running_child_raises_already_started():
    journal = Journal()
    sup = await start(journal, [worker(journal, "a")])
    running = (await pids(sup))["a"]
    with pytest.raises(SupervisorError) as raised:
        await Supervisor.start_child(sup, worker(journal, "a"))
    assert raised.value.reason == ("already_started", running)
    await Supervisor.stop(sup)


async def test_start_child_with_the_id_of_a_stopped_child_raises_already_present():
    journal = Journal()
    sup = await start(journal, [worker(journal, "a")])
    await Supervisor.terminate_child(sup, "a")
    with pytest.raises(SupervisorError) as raised:
        await Supervisor.start_child(sup, worker(journal, "a"))
    assert raised.value.reason == "already_present"
    await Supervisor.stop(sup)


async def test_start_child_whose_init_fails_raises_start_error_and_adds_nothing():
    journal = Journal()
    sup = await Supervisor.start_link([])
    with pytest.raises(StartError) as raised:
        await Supervisor.start_child(sup, worker(journal, "x", init=("stop", "nope")))
    assert raised.value.reason == "nope"
    assert await pids(sup) == {}
    await Supervisor.stop(sup)


# -- module-based supervisors --------------------------------------------------------------------


class Pair(Supervisor):
    async def init(self, journal):
        children = [worker(journal, "left"), worker(journal, "right")]
        return Supervisor.init_spec(children, strategy="one_for_all", clock=journal.clock)


class Declines(Supervisor):
    async def init(self, arg):
        return otp.Ignore()


async def test_a_module_based_supervisor_takes_children_and_strategy_from_init():
    journal = Journal()
    sup = await Pair.start_link(journal)
    await crash((await pids(sup))["left"])
    await settle(sup)
    assert journal.starts() == ["left", "right", "left", "right"]
    await Supervisor.stop(sup)


async def test_a_module_based_supervisor_whose_init_ignores_returns_none():
    assert await Declines.start_link() is None


async def test_a_module_based_supervisor_refuses_options_that_belong_in_init():
    with pytest.raises(TypeError, match="init_spec"):
        await Pair.start_link(Journal(), strategy="one_for_one")


async def test_a_module_based_supervisor_runs_as_a_child_of_type_supervisor():
    journal = Journal()
    sup = await Supervisor.start_link([(Pair, journal)])
    [child] = await Supervisor.which_children(sup)
    assert (child.id, child.type) == (Pair, "supervisor")
    assert journal.starts() == ["left", "right"]
    await Supervisor.stop(sup)
