"""TaskSupervisor (Elixir's Task.Supervisor): supervised tasks, linked or not to the caller."""

import asyncio

import otp
import pytest
from otp import Down, ExitError, Process, Supervisor, Task, TaskSupervisor

pytestmark = pytest.mark.usefixtures("no_leaks")


async def forever():
    await asyncio.Event().wait()


async def explode():
    raise ZeroDivisionError("task failed")


async def down_of(ref, within=5):
    return await otp.receive(lambda m: isinstance(m, Down) and m.ref is ref, timeout=within)


async def test_start_child_tasks_are_temporary_and_never_restarted():
    runs = []

    async def crash_once():
        runs.append(1)
        raise RuntimeError("task failed")

    sup = await TaskSupervisor.start_link()
    pid = await TaskSupervisor.start_child(sup, crash_once)
    await down_of(Process.monitor(pid))
    assert await TaskSupervisor.children(sup) == []
    assert runs == [1]
    await Supervisor.stop(sup)


async def test_async_returns_a_task_whose_result_the_caller_awaits():
    async def add(a, b):
        return a + b

    sup = await TaskSupervisor.start_link()
    task = await TaskSupervisor.async_(sup, add, 2, 3)
    assert await Task.await_(task) == 5
    await Supervisor.stop(sup)


async def test_async_links_the_task_to_the_caller_so_a_crash_kills_the_caller():
    sup = await TaskSupervisor.start_link()

    async def caller():
        await TaskSupervisor.async_(sup, explode)
        await forever()

    _, ref = otp.spawn_monitor(caller)
    assert isinstance((await down_of(ref)).reason, ZeroDivisionError)
    assert Process.alive(sup)
    await Supervisor.stop(sup)


async def test_async_nolink_crash_does_not_kill_the_caller_and_yield_returns_exit():
    sup = await TaskSupervisor.start_link()
    shell = otp.self()

    async def caller():
        task = await TaskSupervisor.async_nolink(sup, explode)
        otp.send(shell, await Task.yield_(task))
        await forever()

    pid = otp.spawn(caller)
    tag, reason = await otp.receive(timeout=5)
    assert tag == "exit" and isinstance(reason, ZeroDivisionError)
    assert Process.alive(pid)
    Process.exit(pid, "kill")
    await Supervisor.stop(sup)


async def test_async_nolink_crash_makes_await_raise_exit_error():
    sup = await TaskSupervisor.start_link()
    task = await TaskSupervisor.async_nolink(sup, explode)
    with pytest.raises(ExitError) as raised:
        await Task.await_(task)
    assert isinstance(raised.value.reason, ZeroDivisionError)
    await Supervisor.stop(sup)


async def test_tasks_stop_with_their_supervisor():
    sup = await TaskSupervisor.start_link()
    started = await TaskSupervisor.start_child(sup, forever)
    awaited = await TaskSupervisor.async_nolink(sup, forever)
    await Supervisor.stop(sup)
    assert not Process.alive(started) and not Process.alive(awaited.pid)


async def test_a_named_task_supervisor_runs_in_a_supervision_tree():
    top = await Supervisor.start_link([TaskSupervisor.child_spec(name="tasks")])
    task = await TaskSupervisor.async_nolink("tasks", asyncio.sleep, 0, "ok")
    assert await Task.await_(task) == "ok"
    await Supervisor.stop(top)
    assert Process.whereis("tasks") is None


async def test_a_task_supervisor_child_takes_its_options_as_a_dict_like_elixir():
    top = await Supervisor.start_link([(TaskSupervisor, {"name": "jobs"})])
    assert Process.whereis("jobs") is not None
    await Supervisor.stop(top)
