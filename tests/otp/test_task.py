"""Task: async/await, yield, shutdown and async_stream.

One test per behaviour of the Task part of otp-semantics.md. Completion order is forced with
chained events (each task releases the next), never with sleeps.
"""

import asyncio
import contextlib
import inspect
import os

import otp
import pytest
from otp import CallTimeoutError, Down, ExitError, NotTaskOwnerError, Process, Supervisor, Task

pytestmark = pytest.mark.usefixtures("no_leaks")


def chain(order):
    """Gates that make tasks finish in ``order``: task ``i`` waits for gate ``i`` and then
    opens the gate of the next one; returns (gates, a function to run as task ``i``)."""
    gates = {i: asyncio.Event() for i in order}
    finished = []

    async def run(i):
        await gates[i].wait()
        finished.append(i)
        position = order.index(i)
        if position + 1 < len(order):
            gates[order[position + 1]].set()
        return i * 10

    gates[order[0]].set()
    return run, finished


async def down_of(ref, within=5):
    return await otp.receive(lambda m: isinstance(m, Down) and m.ref is ref, timeout=within)


async def forever():
    await asyncio.Event().wait()


async def explode():
    raise ZeroDivisionError("task failed")


# -- async / await ---------------------------------------------------------------------------


async def test_await_returns_what_the_function_returned():
    async def double(x):
        return 2 * x

    assert await Task.await_(Task.async_(double, 21)) == 42


async def test_a_plain_function_may_run_as_a_task():
    assert await Task.await_(Task.async_(sum, [1, 2, 3])) == 6


async def test_await_waits_five_seconds_by_default():
    assert inspect.signature(Task.await_).parameters["timeout"].default == 5.0


async def test_await_timeout_error_names_the_call_the_task_and_the_timeout():
    task = Task.async_(forever)
    with pytest.raises(CallTimeoutError) as raised:
        await Task.await_(task, timeout=0.02)
    error = raised.value
    assert error.call == "Task.await_"
    assert error.reason == ("timeout", ("Task", "await_", (task, 0.02)))
    message = str(error)
    assert message.startswith(f"Task.await_({task!r}, timeout=0.02)")
    assert "(timeout)" in message and "Task.shutdown" in message
    await Task.shutdown(task)


async def test_await_timeout_raises_call_timeout_error_naming_task_await_and_task_runs_on():
    task = Task.async_(forever)
    with pytest.raises(CallTimeoutError, match=r"Task\.await_") as raised:
        await Task.await_(task, timeout=0.02)
    assert raised.value.reason[0] == "timeout"
    assert raised.value.reason[1][:2] == ("Task", "await_")
    assert Process.alive(task.pid)
    await Task.shutdown(task)


async def test_a_task_crash_kills_a_linked_caller():
    async def caller():
        Task.async_(explode)
        await forever()

    _, ref = otp.spawn_monitor(caller)
    down = await down_of(ref)
    assert isinstance(down.reason, ZeroDivisionError)


async def test_awaiting_a_crashed_task_in_a_trapping_caller_raises_exit_error_with_its_reason():
    task = Task.async_(explode)
    with pytest.raises(ExitError) as raised:
        await Task.await_(task)
    assert isinstance(raised.value.reason, ZeroDivisionError)


async def test_awaiting_a_task_you_do_not_own_raises():
    task = Task.async_(forever)
    shell = otp.self()

    async def stranger():
        try:
            await Task.await_(task)
        except NotTaskOwnerError as error:
            otp.send(shell, ("refused", error.caller))

    stranger_pid = otp.spawn(stranger)
    assert await otp.receive(timeout=5) == ("refused", stranger_pid)
    await Task.shutdown(task)


async def test_await_many_returns_results_in_the_order_of_the_tasks_given():
    run, finished = chain([2, 0, 1])
    tasks = [Task.async_(run, i) for i in range(3)]
    assert await Task.await_many(tasks) == [0, 10, 20]
    assert finished == [2, 0, 1]


async def test_await_many_timeout_raises_call_timeout_error_naming_await_many():
    tasks = [Task.async_(asyncio.sleep, 0, "done"), Task.async_(forever)]
    with pytest.raises(CallTimeoutError) as raised:
        await Task.await_many(tasks, timeout=0.02)
    assert raised.value.reason[1][:2] == ("Task", "await_many")
    await Task.shutdown(tasks[1])


# -- yield / shutdown ------------------------------------------------------------------------


async def test_yield_returns_none_on_timeout_and_leaves_the_task_running():
    gate = asyncio.Event()

    async def gated():
        await gate.wait()
        return "late"

    task = Task.async_(gated)
    assert await Task.yield_(task, timeout=0.01) is None
    assert Process.alive(task.pid)
    gate.set()
    assert await Task.yield_(task) == ("ok", "late")


async def test_yield_many_pairs_each_task_with_its_result_or_none():
    fast, slow = Task.async_(asyncio.sleep, 0, "fast"), Task.async_(forever)
    # fast has replied before yield_many starts: a stalled machine cannot make it look late.
    await down_of(Process.monitor(fast.pid))
    assert await Task.yield_many([slow, fast], timeout=0.02) == [
        (slow, None),
        (fast, ("ok", "fast")),
    ]
    await Task.shutdown(slow)


async def test_shutdown_stops_a_running_task_and_returns_none():
    task = Task.async_(forever)
    assert await Task.shutdown(task) is None
    assert not Process.alive(task.pid)


async def test_shutdown_returns_the_result_when_the_task_had_already_finished():
    task = Task.async_(asyncio.sleep, 0, "finished")
    await down_of(Process.monitor(task.pid))
    assert await Task.shutdown(task) == ("ok", "finished")


async def test_shutdown_of_a_task_that_ignores_the_exit_signal_kills_it_after_the_timeout():
    async def stubborn():
        Process.flag("trap_exit", True)
        await forever()

    task = Task.async_(stubborn)
    await asyncio.sleep(0)  # let it set trap_exit
    watch = Process.monitor(task.pid)
    assert await Task.shutdown(task, timeout=0.02) is None
    assert (await down_of(watch)).reason == "killed"


async def test_shutdown_with_brutal_kill_kills_at_once():
    task = Task.async_(forever)
    watch = Process.monitor(task.pid)
    assert await Task.shutdown(task, "brutal_kill") is None
    assert (await down_of(watch, within=0)).reason == "killed"


# -- start / start_link ----------------------------------------------------------------------


async def test_start_runs_the_function_in_an_unlinked_process():
    shell = otp.self()

    async def report():
        otp.send(shell, "ran")

    pid = await Task.start(report)
    assert await otp.receive(timeout=5) == "ran"
    assert pid not in Process.info(shell)["links"] if Process.alive(pid) else True


async def test_a_task_child_is_temporary_and_is_forgotten_once_done():
    gate = asyncio.Event()
    sup = await Supervisor.start_link([(Task, gate.wait)])
    [child] = await Supervisor.which_children(sup)
    watch = Process.monitor(child.pid)
    gate.set()
    assert (await down_of(watch)).reason == "normal"
    assert await Supervisor.which_children(sup) == []
    await Supervisor.stop(sup)


# -- async_stream ----------------------------------------------------------------------------


async def collect(stream):
    return [result async for result in stream]


async def test_async_stream_yields_in_input_order_by_default():
    run, finished = chain([3, 2, 1, 0])
    results = await collect(Task.async_stream(range(4), run, max_concurrency=4))
    assert results == [("ok", 0), ("ok", 10), ("ok", 20), ("ok", 30)]
    assert finished == [3, 2, 1, 0]


async def test_async_stream_unordered_yields_in_completion_order():
    run, _ = chain([3, 2, 1, 0])
    results = await collect(Task.async_stream(range(4), run, max_concurrency=4, ordered=False))
    assert results == [("ok", 30), ("ok", 20), ("ok", 10), ("ok", 0)]


async def test_async_stream_max_concurrency_defaults_to_the_cpu_count_and_is_never_exceeded(
    monkeypatch,
):
    monkeypatch.setattr(os, "cpu_count", lambda: 3)
    active = peak = 0

    async def measure(x):
        nonlocal active, peak
        active += 1
        peak = max(peak, active)
        for _ in range(3):
            await asyncio.sleep(0)
        active -= 1
        return x

    results = await collect(Task.async_stream(range(20), measure))
    assert [value for _, value in results] == list(range(20))
    assert peak == 3


async def test_async_stream_kill_task_yields_exit_timeout_for_that_element_and_goes_on():
    async def maybe_hang(x):
        if x == 1:
            await forever()
        return x

    stream = Task.async_stream(range(3), maybe_hang, timeout=0.2, on_timeout="kill_task")
    assert await collect(stream) == [("ok", 0), ("exit", "timeout"), ("ok", 2)]
    assert Process.list() == []


async def test_async_stream_on_timeout_exit_raises_and_stops_the_other_tasks():
    async def hang(x):
        await forever()

    with pytest.raises(CallTimeoutError) as raised:
        await collect(Task.async_stream(range(3), hang, timeout=0.02))
    assert raised.value.reason[1][:2] == ("Task", "async_stream")
    assert Process.list() == []


async def test_async_stream_reports_a_crashing_element_as_exit_to_a_trapping_consumer():
    async def fragile(x):
        if x == 1:
            raise ValueError("bad item")
        return x

    results = await collect(Task.async_stream(range(3), fragile, max_concurrency=1))
    assert results[0] == ("ok", 0) and results[2] == ("ok", 2)
    assert results[1][0] == "exit" and isinstance(results[1][1], ValueError)


async def test_async_stream_stops_running_tasks_when_the_consumer_stops_early():
    async def slow_after_first(x):
        if x > 0:
            await forever()
        return x

    async with contextlib.aclosing(
        Task.async_stream(range(10), slow_after_first, max_concurrency=4, ordered=False)
    ) as stream:
        async for result in stream:
            assert result == ("ok", 0)
            break
    assert Process.list() == []


async def test_async_stream_accepts_async_iterables():
    async def numbers():
        for n in range(3):
            yield n

    async def square(x):
        return x * x

    assert await collect(Task.async_stream(numbers(), square)) == [("ok", 0), ("ok", 1), ("ok", 4)]


async def test_finished_tasks_leave_nothing_in_a_trapping_owners_mailbox():
    results = await collect(Task.async_stream(range(50), abs, max_concurrency=4))
    assert await Task.await_(Task.async_(abs, -1)) == 1
    assert len(results) == 50
    assert Process.info(otp.self())["message_queue_len"] == 0


async def test_shutdown_of_a_task_whose_result_was_already_collected_returns_none():
    task = Task.async_(abs, -3)
    assert await Task.yield_(task) == ("ok", 3)
    await down_of(Process.monitor(task.pid))
    assert await Task.shutdown(task) is None
