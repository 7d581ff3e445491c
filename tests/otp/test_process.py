"""Processes, links and monitors: each test is one behaviour of otp-semantics.md."""

from __future__ import annotations

import asyncio
import logging
import threading

import pytest
from otp import (
    Down,
    Exit,
    NoProcError,
    Process,
    exit,
    receive,
    self,
    send,
    spawn,
    spawn_link,
    spawn_monitor,
)

pytestmark = pytest.mark.usefixtures("no_leaks")

WAIT = 2.0  # generous bound on events that should arrive at once; never actually waited out


async def down_of(pid, ref=None):
    """The exit reason of ``pid`` (monitors it unless a ref is given)."""
    ref = ref or Process.monitor(pid)
    message = await receive(lambda m: type(m) is Down and m.ref is ref, timeout=WAIT)
    return message.reason


async def wait_forever():
    await receive()


async def crash(message="boom"):
    raise ValueError(message)


async def exit_with(reason):
    exit(reason)


# -- links ---------------------------------------------------------------------------------------


async def test_linked_child_exiting_normal_does_not_kill_its_parent():
    async def parent(test):
        child = spawn_link(exit_with, "normal")
        ref = Process.monitor(child)
        await receive(lambda m: type(m) is Down and m.ref is ref)
        send(test, "still alive")

    pid, ref = spawn_monitor(parent, self())
    assert await receive(lambda m: m == "still alive", timeout=WAIT) == "still alive"
    assert await down_of(pid, ref) == "normal"


async def test_linked_child_crash_kills_the_parent_with_the_same_reason():
    async def parent():
        spawn_link(exit_with, "boom")
        await receive()

    pid, ref = spawn_monitor(parent)
    assert await down_of(pid, ref) == "boom"


async def test_links_are_bidirectional_a_dying_parent_kills_its_linked_child():
    children = []

    async def parent():
        children.append(spawn_link(wait_forever))
        exit("parent_failed")

    pid, ref = spawn_monitor(parent)
    assert await down_of(pid, ref) == "parent_failed"
    assert not Process.alive(children[0])


async def test_a_trapping_process_receives_an_exit_message_instead_of_dying():
    async def parent(test):
        Process.flag("trap_exit", True)
        child = spawn_link(exit_with, "boom")
        send(test, await receive(lambda m: type(m) is Exit))
        send(test, ("child", child))

    spawn(parent, self())
    message = await receive(lambda m: type(m) is Exit, timeout=WAIT)
    _, child = await receive(lambda m: isinstance(m, tuple) and m[0] == "child", timeout=WAIT)
    assert message == Exit(child, "boom")


async def test_a_trapping_process_receives_an_exit_message_for_a_normal_exit_too():
    async def parent(test):
        Process.flag("trap_exit", True)
        child = spawn_link(exit_with, "normal")
        message = await receive(lambda m: type(m) is Exit)
        send(test, message == Exit(child, "normal"))

    spawn(parent, self())
    assert await receive(lambda m: type(m) is bool, timeout=WAIT) is True


async def test_exit_signal_normal_does_nothing_to_a_non_trapping_process():
    pid = spawn(wait_forever)
    Process.exit(pid, "normal")
    await asyncio.sleep(0)  # give a (wrong) death every chance to happen
    assert Process.alive(pid)
    Process.exit(pid, "kill")
    assert await down_of(pid) == "noproc"  # already gone: kill is synchronous


async def test_exit_kill_cannot_be_trapped_and_the_victim_dies_killed():
    async def trapper():
        Process.flag("trap_exit", True)
        await receive(lambda m: m == "never")

    pid, ref = spawn_monitor(trapper)
    await asyncio.sleep(0)  # let it set trap_exit
    Process.exit(pid, "kill")
    assert await down_of(pid, ref) == "killed"


async def test_processes_linked_to_a_killed_process_see_killed():
    async def watcher(test):
        Process.flag("trap_exit", True)
        victim = spawn_link(wait_forever)
        send(test, ("victim", victim))
        send(test, await receive(lambda m: type(m) is Exit))

    spawn(watcher, self())
    _, victim = await receive(lambda m: isinstance(m, tuple), timeout=WAIT)
    Process.exit(victim, "kill")
    assert await receive(lambda m: type(m) is Exit, timeout=WAIT) == Exit(victim, "killed")


async def test_a_process_exiting_itself_with_kill_propagates_kill_not_killed():
    async def watcher(test):
        Process.flag("trap_exit", True)
        spawn_link(exit_with, "kill")
        send(test, (await receive(lambda m: type(m) is Exit)).reason)

    spawn(watcher, self())
    assert await receive(timeout=WAIT) == "kill"


async def test_linking_to_a_dead_pid_kills_a_non_trapping_caller_with_noproc():
    dead, ref = spawn_monitor(exit_with, "normal")
    await down_of(dead, ref)

    async def linker():
        Process.link(dead)
        await receive()

    pid, ref = spawn_monitor(linker)
    assert await down_of(pid, ref) == "noproc"


async def test_linking_to_a_dead_pid_gives_a_trapping_caller_an_exit_noproc():
    dead, ref = spawn_monitor(exit_with, "normal")
    await down_of(dead, ref)

    async def linker(test):
        Process.flag("trap_exit", True)
        Process.link(dead)
        send(test, await receive())

    spawn(linker, self())
    assert await receive(timeout=WAIT) == Exit(dead, "noproc")


async def test_unlink_removes_the_link_on_both_sides():
    async def parent(test):
        child = spawn_link(receive)
        Process.unlink(child)
        send(test, Process.info(child)["links"])
        Process.exit(child, "boom")
        send(test, await down_of(child))

    spawn(parent, self())
    assert await receive(timeout=WAIT) == []
    assert await receive(timeout=WAIT) == "noproc"


# -- monitors ------------------------------------------------------------------------------------


async def test_monitors_are_one_way_the_watcher_gets_down_and_survives():
    async def watcher(test):
        target = spawn(exit_with, "boom")
        ref = Process.monitor(target)
        message = await receive()
        send(test, message == Down(ref, target, "boom"))

    pid, ref = spawn_monitor(watcher, self())
    assert await receive(lambda m: type(m) is bool, timeout=WAIT) is True
    assert await down_of(pid, ref) == "normal"


async def test_a_dying_watcher_does_not_affect_the_monitored_process():
    target = spawn(wait_forever)

    async def watcher():
        Process.monitor(target)
        exit("watcher_failed")

    pid, ref = spawn_monitor(watcher)
    assert await down_of(pid, ref) == "watcher_failed"
    assert Process.alive(target)
    assert Process.info(target)["monitored_by"] == []
    Process.exit(target, "kill")


async def test_monitoring_a_dead_pid_delivers_down_noproc_at_once():
    dead, ref = spawn_monitor(exit_with, "normal")
    await down_of(dead, ref)
    ref = Process.monitor(dead)
    assert await receive(timeout=0) == Down(ref, dead, "noproc")


async def test_two_monitors_deliver_two_downs():
    target = spawn(wait_forever)
    first, second = Process.monitor(target), Process.monitor(target)
    Process.exit(target, "stop_now")
    downs = [await receive(timeout=WAIT), await receive(timeout=WAIT)]
    assert downs == [Down(first, target, "stop_now"), Down(second, target, "stop_now")]


async def test_demonitor_with_flush_leaves_no_message():
    target = spawn(wait_forever)
    ref = Process.monitor(target)
    Process.exit(target, "kill")  # the Down is already in our mailbox
    Process.demonitor(ref, flush=True)
    with pytest.raises(TimeoutError):
        await receive(lambda m: type(m) is Down and m.ref is ref, timeout=0)


async def test_demonitor_before_the_exit_means_no_down_arrives():
    target = spawn(wait_forever)
    ref = Process.monitor(target)
    Process.demonitor(ref)
    Process.exit(target, "kill")
    with pytest.raises(TimeoutError):
        await receive(lambda m: type(m) is Down and m.ref is ref, timeout=0)


# -- exit reasons ----------------------------------------------------------------------------------


async def test_a_raise_inside_a_process_becomes_its_exit_reason_with_the_stacktrace():
    pid, ref = spawn_monitor(crash, "kaboom")
    reason = await down_of(pid, ref)
    assert isinstance(reason, ValueError)
    assert reason.args == ("kaboom",)
    assert reason.__traceback__ is not None


async def test_a_function_that_returns_exits_normal():
    async def done():
        return 42

    pid, ref = spawn_monitor(done)
    assert await down_of(pid, ref) == "normal"


async def test_a_crash_is_logged_as_a_crash_report_on_the_otp_logger(caplog):
    caplog.set_level(logging.ERROR, logger="otp")
    pid, ref = spawn_monitor(crash, "logged")
    await down_of(pid, ref)
    [record] = [r for r in caplog.records if r.name == "otp"]
    assert repr(pid) in record.getMessage()
    assert "logged" in record.getMessage()
    assert record.exc_info is not None


async def test_a_crash_never_reaches_the_event_loop_or_its_siblings():
    loop = asyncio.get_running_loop()
    reported = []
    loop.set_exception_handler(lambda _loop, context: reported.append(context))
    sibling = spawn(wait_forever)
    pid, ref = spawn_monitor(crash)
    await down_of(pid, ref)
    assert Process.alive(sibling)
    Process.exit(sibling, "kill")
    await asyncio.sleep(0)
    assert reported == []


async def test_a_sync_function_is_refused_with_a_message_that_says_why():
    def not_async():
        return None

    pid, ref = spawn_monitor(not_async)
    reason = await down_of(pid, ref)
    assert isinstance(reason, TypeError)
    assert "async def" in str(reason)


async def test_an_external_cancel_of_the_task_is_an_untrappable_kill():
    from otp._process import lookup

    pid, ref = spawn_monitor(wait_forever)
    await asyncio.sleep(0)
    lookup(pid).task.cancel()
    assert await down_of(pid, ref) == "killed"


# -- mailbox -------------------------------------------------------------------------------------


async def test_selective_receive_leaves_other_messages_in_order():
    me = self()
    for message in ("a", 1, "b", 2):
        send(me, message)
    assert await receive(lambda m: isinstance(m, int)) == 1
    assert [await receive(), await receive(), await receive()] == ["a", "b", 2]


async def test_selective_receive_waits_for_a_matching_message_sent_later():
    async def sender(test):
        send(test, "noise")
        send(test, ("wanted", 1))

    spawn(sender, self())
    assert await receive(lambda m: isinstance(m, tuple), timeout=WAIT) == ("wanted", 1)
    assert await receive(timeout=0) == "noise"


async def test_receive_with_a_timeout_raises_timeout_error_when_nothing_arrives():
    with pytest.raises(TimeoutError):
        await receive(timeout=0.01)


async def test_messages_between_two_processes_keep_their_order():
    async def sender(test):
        for i in range(100):
            send(test, i)

    spawn(sender, self())
    assert [await receive(timeout=WAIT) for _ in range(100)] == list(range(100))


async def test_send_to_a_dead_pid_is_silently_dropped():
    pid, ref = spawn_monitor(exit_with, "normal")
    await down_of(pid, ref)
    send(pid, "lost")  # no error, like Elixir


async def test_send_after_delivers_later_and_cancel_timer_stops_it():
    me = self()
    kept = Process.send_after(me, "kept", 0.01)
    cancelled = Process.send_after(me, "cancelled", 0.01)
    assert Process.cancel_timer(cancelled) > 0
    assert await receive(timeout=WAIT) == "kept"
    assert Process.cancel_timer(kept) is False
    with pytest.raises(TimeoutError):
        await receive(timeout=0.05)


# -- names ---------------------------------------------------------------------------------------


async def test_a_registered_name_can_be_sent_to_and_is_freed_when_the_process_exits():
    async def echo():
        sender, message = await receive()
        send(sender, message)

    pid, ref = spawn_monitor(echo)
    Process.register(pid, "echo")
    assert Process.whereis("echo") is pid
    send("echo", (self(), "hello"))
    assert await receive(timeout=WAIT) == "hello"
    await down_of(pid, ref)
    assert Process.whereis("echo") is None


async def test_send_to_an_unregistered_name_raises_noproc():
    with pytest.raises(NoProcError) as raised:
        send("nobody_here", "hello")
    assert raised.value.reason == "noproc"
    assert "nobody_here" in str(raised.value)


async def test_a_name_cannot_be_registered_twice():
    from otp import AlreadyRegisteredError

    first, second = spawn(wait_forever), spawn(wait_forever)
    Process.register(first, "taken")
    with pytest.raises(AlreadyRegisteredError) as raised:
        Process.register(second, "taken")
    assert raised.value.pid is first
    Process.unregister("taken")
    assert Process.whereis("taken") is None
    Process.exit(first, "kill")
    Process.exit(second, "kill")


# -- the shell -------------------------------------------------------------------------------------


async def test_code_outside_any_process_is_the_shell_process_with_a_stable_pid():
    assert self() is self()
    assert repr(self()) == "<0.0.0>"


async def test_the_shell_traps_a_linked_crash_logs_it_and_gets_an_exit_message(caplog):
    caplog.set_level(logging.WARNING, logger="otp")
    pid = spawn_link(exit_with, "boom")
    assert await receive(lambda m: type(m) is Exit, timeout=WAIT) == Exit(pid, "boom")
    assert any("shell" in r.getMessage() and "boom" in r.getMessage() for r in caplog.records)


async def test_the_shell_drops_normal_exits_of_linked_processes_so_they_do_not_pile_up():
    finished = [spawn_link(exit_with, "normal") for _ in range(50)]
    crashed = spawn_link(exit_with, "boom")  # processes start in spawn order: it exits last
    assert await receive(lambda m: type(m) is Exit, timeout=WAIT) == Exit(crashed, "boom")
    assert not any(Process.alive(pid) for pid in finished)
    assert Process.info(self())["message_queue_len"] == 0


async def test_the_shell_keeps_normal_exits_once_the_user_sets_trap_exit_in_it():
    assert Process.flag("trap_exit", True) is True  # the shell traps exits from the start
    pid = spawn_link(exit_with, "normal")
    assert await receive(lambda m: type(m) is Exit, timeout=WAIT) == Exit(pid, "normal")


async def test_the_shell_cannot_be_killed(caplog):
    Process.exit(self(), "kill")
    assert "keeps running" in caplog.text


async def test_each_event_loop_has_its_own_processes_and_names():
    pid = spawn(wait_forever)
    Process.register(pid, "per_loop")

    def in_another_loop():
        async def look():
            return Process.whereis("per_loop"), len(Process.list())

        return asyncio.run(look())

    assert await asyncio.to_thread(in_another_loop) == (None, 0)
    Process.exit(pid, "kill")


async def test_running_process_names_the_pid_blocking_the_loop_from_another_thread():
    from otp._process import running_process

    loop = asyncio.get_running_loop()

    async def blocker(test):
        seen = []
        watchdog = threading.Thread(target=lambda: seen.append(running_process(loop)))
        watchdog.start()
        watchdog.join()  # blocks the loop while the other thread looks
        send(test, (seen[0], self()))

    spawn(blocker, self())
    seen, pid = await receive(timeout=WAIT)
    assert seen is pid
    assert running_process(loop) is None  # the shell's task is not a process


async def test_process_info_describes_links_monitors_trap_exit_queue_and_name():
    async def subject():
        Process.flag("trap_exit", True)
        await receive(lambda m: m == "never")

    pid = spawn_link(subject)
    ref = Process.monitor(pid)
    Process.register(pid, "subject")
    send(pid, "queued")
    await asyncio.sleep(0)  # let it set its flag and park in its selective receive
    info = Process.info(pid)
    assert info["registered_name"] == "subject"
    assert info["links"] == [self()]
    assert info["monitored_by"] == [self()]
    assert info["trap_exit"] is True
    assert info["message_queue_len"] == 1
    assert Process.registered() == ["subject"] and Process.list() == [pid]
    Process.exit(pid, "kill")
    assert await down_of(pid, ref) == "killed"
    assert Process.info(pid) is None
