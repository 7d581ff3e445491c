"""DynamicSupervisor: children without ids, started on demand, one for one.

One test per behaviour of the DynamicSupervisor section of otp-semantics.md.
"""

import asyncio

import otp
import pytest
from otp import (
    ChildSpec,
    Down,
    DynamicSupervisor,
    GenServer,
    MaxChildrenError,
    Process,
    StartError,
    SupervisorError,
)
from supervision_probes import Journal, Worker, crash, worker

pytestmark = pytest.mark.usefixtures("no_leaks")


async def settle(sup):
    await DynamicSupervisor.count_children(sup)


async def test_children_have_no_ids_and_the_same_spec_may_start_many_times():
    journal = Journal()
    sup = await DynamicSupervisor.start_link()
    spec = worker(journal, "same")
    first = await DynamicSupervisor.start_child(sup, spec)
    second = await DynamicSupervisor.start_child(sup, spec)
    assert first != second
    rows = await DynamicSupervisor.which_children(sup)
    assert [(row.id, row.pid) for row in rows] == [(None, first), (None, second)]
    await DynamicSupervisor.stop(sup)


async def test_an_ignoring_child_returns_none_and_is_not_kept():
    sup = await DynamicSupervisor.start_link()
    assert await DynamicSupervisor.start_child(sup, worker(Journal(), "x", init="ignore")) is None
    assert (await DynamicSupervisor.count_children(sup)).specs == 0
    await DynamicSupervisor.stop(sup)


async def test_a_failing_child_init_is_raised_as_start_error_with_its_reason():
    sup = await DynamicSupervisor.start_link()
    with pytest.raises(StartError) as raised:
        await DynamicSupervisor.start_child(sup, worker(Journal(), "x", init=("stop", "bad_arg")))
    assert raised.value.reason == "bad_arg"
    assert Process.alive(sup)
    await DynamicSupervisor.stop(sup)


async def test_terminate_child_stops_the_child_by_pid():
    journal = Journal()
    sup = await DynamicSupervisor.start_link()
    pid = await DynamicSupervisor.start_child(sup, worker(journal, "w"))
    await DynamicSupervisor.terminate_child(sup, pid)
    assert not Process.alive(pid)
    assert journal.events[-1] == ("stop", "w", "shutdown")
    assert await DynamicSupervisor.which_children(sup) == []
    with pytest.raises(SupervisorError) as raised:
        await DynamicSupervisor.terminate_child(sup, pid)
    assert raised.value.reason == "not_found"
    await DynamicSupervisor.stop(sup)


async def test_max_children_refuses_one_child_too_many():
    sup = await DynamicSupervisor.start_link(max_children=2)
    journal = Journal()
    for n in range(2):
        await DynamicSupervisor.start_child(sup, worker(journal, n))
    with pytest.raises(MaxChildrenError) as raised:
        await DynamicSupervisor.start_child(sup, worker(journal, 2))
    assert raised.value.reason == "max_children"
    assert journal.starts() == [0, 1]
    await DynamicSupervisor.stop(sup)


async def test_extra_arguments_are_prepended_to_each_childs_start_arguments():
    seen = []

    async def start_link(*args):
        seen.append(args)
        return await Worker.start_link((Journal(), "w", {}))

    sup = await DynamicSupervisor.start_link(extra_arguments=("pool", 7))
    await DynamicSupervisor.start_child(sup, ChildSpec(id=None, start=(start_link, ("own",))))
    assert seen == [("pool", 7, "own")]
    await DynamicSupervisor.stop(sup)


async def test_permanent_children_restart_with_the_same_spec():
    journal = Journal()
    sup = await DynamicSupervisor.start_link()
    pid = await DynamicSupervisor.start_child(sup, worker(journal, "p"))
    await crash(pid)
    await settle(sup)
    [row] = await DynamicSupervisor.which_children(sup)
    assert row.pid != pid and Process.alive(row.pid)
    assert journal.starts() == ["p", "p"]
    await DynamicSupervisor.stop(sup)


async def test_transient_children_stay_down_after_a_normal_exit_and_temporary_ones_always():
    journal = Journal()
    sup = await DynamicSupervisor.start_link()
    transient = await DynamicSupervisor.start_child(sup, worker(journal, "t", restart="transient"))
    temporary = await DynamicSupervisor.start_child(sup, worker(journal, "x", restart="temporary"))
    await crash(transient, "normal")
    await crash(temporary, "crash")
    await settle(sup)
    assert journal.starts() == ["t", "x"]
    assert await DynamicSupervisor.which_children(sup) == []
    await DynamicSupervisor.stop(sup)


async def test_intensity_exceeded_shuts_the_dynamic_supervisor_down():
    journal = Journal()
    sup = await DynamicSupervisor.start_link(max_restarts=1, clock=journal.clock)
    watch = Process.monitor(sup)
    await DynamicSupervisor.start_child(sup, worker(journal, "bystander"))
    await crash(await DynamicSupervisor.start_child(sup, worker(journal, "w")))
    await settle(sup)
    await crash(journal.pids["w"])
    down = await otp.receive(lambda m: isinstance(m, Down) and m.ref is watch, timeout=5)
    assert down.reason == "shutdown"
    assert journal.events[-1] == ("stop", "bystander", "shutdown")
    assert Process.list() == []


async def test_stopping_the_supervisor_stops_every_child():
    journal = Journal()
    sup = await DynamicSupervisor.start_link()
    children = [await DynamicSupervisor.start_child(sup, worker(journal, n)) for n in range(5)]
    await DynamicSupervisor.stop(sup)
    assert sorted(journal.stops()) == list(range(5))
    assert not any(Process.alive(pid) for pid in children)


async def test_only_one_for_one_is_accepted():
    with pytest.raises(ValueError, match="one_for_one"):
        await DynamicSupervisor.start_link(strategy="one_for_all")


class Pool(DynamicSupervisor):
    async def init(self, size):
        return DynamicSupervisor.init_spec(max_children=size)


async def test_a_module_based_dynamic_supervisor_reads_its_options_from_init():
    sup = await Pool.start_link(1)
    await DynamicSupervisor.start_child(sup, worker(Journal(), "only"))
    with pytest.raises(MaxChildrenError):
        await DynamicSupervisor.start_child(sup, worker(Journal(), "extra"))
    await DynamicSupervisor.stop(sup)


async def test_a_dynamic_supervisor_runs_inside_a_supervisor_tree():
    top = await otp.Supervisor.start_link([DynamicSupervisor.child_spec(name="pool")])
    pid = await DynamicSupervisor.start_child("pool", worker(Journal(), "w"))
    assert await GenServer.call(pid, "ping") == "pong"
    await otp.Supervisor.stop(top)
    assert not Process.alive(pid)


async def test_a_dynamic_supervisor_child_takes_its_options_as_a_dict_like_elixir():
    top = await otp.Supervisor.start_link([(DynamicSupervisor, {"name": "workers"})])
    assert Process.whereis("workers") is not None
    await otp.Supervisor.stop(top)


async def test_a_child_that_outlives_its_shutdown_is_killed_while_the_others_stop_normally():
    journal = Journal()
    never = asyncio.Event()
    sup = await DynamicSupervisor.start_link()
    quick = await DynamicSupervisor.start_child(sup, worker(journal, "quick"))
    slow = await DynamicSupervisor.start_child(
        sup, worker(journal, "slow", shutdown=0.05, hang_in_terminate=never)
    )
    watches = {Process.monitor(quick): "quick", Process.monitor(slow): "slow"}
    await DynamicSupervisor.stop(sup)
    reasons = {}
    for _ in watches:
        down = await otp.receive(lambda m: isinstance(m, Down) and m.ref in watches, timeout=0)
        reasons[watches[down.ref]] = down.reason
    assert reasons == {"quick": "shutdown", "slow": "killed"}
