"""GenServer: each test is one behaviour of otp-semantics.md's GenServer section."""

from __future__ import annotations

import asyncio
import inspect
import logging

import pytest
from otp import (
    AlreadyStartedError,
    CallingSelfError,
    CallTimeoutError,
    Continue,
    Down,
    Exit,
    ExitError,
    From,
    GenServer,
    Ignore,
    NoProcError,
    NoReply,
    Ok,
    Process,
    Reply,
    StartError,
    Stop,
    exit,
    receive,
    self,
    send,
    spawn,
    spawn_monitor,
    via,
)
from otp.child_spec import ChildSpec

pytestmark = pytest.mark.usefixtures("no_leaks")

WAIT = 2.0


async def down_of(pid, ref=None):
    ref = ref or Process.monitor(pid)
    message = await receive(lambda m: type(m) is Down and m.ref is ref, timeout=WAIT)
    return message.reason


class Recorder(GenServer):
    """Reports every callback to the pid given as its argument; configurable per test."""

    async def init(self, arg):
        self.test, action = arg
        match action:
            case "stop":
                return Stop("init_refused")
            case "ignore":
                return Ignore()
            case "raise":
                raise RuntimeError("init exploded")
            case ("continue", value):
                return Ok([], continue_=value)
            case ("timeout", seconds):
                return Ok([], seconds)
            case "trap":
                Process.flag("trap_exit", True)
        return Ok([])

    async def handle_call(self, request, from_, log):
        log = [*log, ("call", request)]
        match request:
            case "log":
                return Reply(log, log)
            case ("sleep", seconds):
                await asyncio.sleep(seconds)
                send(self.test, ("did_the_work", request))
                return Reply("late", log)
            case "defer":
                send(self.test, ("deferred", from_))
                return NoReply(log)
            case "stop_with_reply":
                return Stop("done", log, reply="bye")
            case "crash":
                raise ValueError("crashed in call")
            case ("call_self", server):
                return Reply(await GenServer.call(server, "log"), log)
        return Reply(request, log)

    async def handle_cast(self, request, log):
        if request == "stop":
            return Stop("cast_stop", log)
        if request == "crash":
            raise ValueError("crashed in cast")
        return NoReply([*log, ("cast", request)])

    async def handle_info(self, message, log):
        send(self.test, ("info", message))
        return NoReply([*log, ("info", message)])

    async def handle_continue(self, value, log):
        return NoReply([*log, ("continue", value)])

    async def terminate(self, reason, log):
        send(self.test, ("terminate", reason))


def terminated(message):
    return isinstance(message, tuple) and message[0] == "terminate"


async def assert_no_terminate():
    with pytest.raises(TimeoutError):
        await receive(terminated, timeout=0)


# -- ordering, continue, init timeout ------------------------------------------------------------


async def test_messages_are_handled_in_arrival_order_across_cast_info_and_call():
    pid = await Recorder.start((self(), None))
    GenServer.cast(pid, 1)
    send(pid, 2)
    GenServer.cast(pid, 3)
    assert await GenServer.call(pid, "log") == [
        ("cast", 1),
        ("info", 2),
        ("cast", 3),
        ("call", "log"),
    ]
    await GenServer.stop(pid)


async def test_handle_continue_runs_before_the_first_message():
    pid = await Recorder.start((self(), ("continue", "warm_up")))
    assert await GenServer.call(pid, "log") == [("continue", "warm_up"), ("call", "log")]
    await GenServer.stop(pid)


async def test_continue_is_also_accepted_as_a_continue_value_in_the_timeout_slot():
    class Warm(GenServer):
        async def init(self, _):
            return Ok("cold", Continue("heat"))

        async def handle_continue(self, arg, state):
            return NoReply(arg)

        async def handle_call(self, request, from_, state):
            return Reply(state, state)

    pid = await Warm.start()
    assert await GenServer.call(pid, "state") == "heat"
    await GenServer.stop(pid)


async def test_an_init_timeout_delivers_a_timeout_info_message():
    pid = await Recorder.start((self(), ("timeout", 0.01)))
    assert await receive(lambda m: m[0] == "info", timeout=WAIT) == ("info", "timeout")
    assert await GenServer.call(pid, "log") == [("info", "timeout"), ("call", "log")]
    await GenServer.stop(pid)


async def test_a_message_before_the_init_timeout_cancels_it():
    pid = await Recorder.start((self(), ("timeout", 0.05)))
    assert await GenServer.call(pid, "log") == [("call", "log")]
    with pytest.raises(TimeoutError):
        await receive(lambda m: m == ("info", "timeout"), timeout=0.1)
    await GenServer.stop(pid)


# -- calls --------------------------------------------------------------------------------


async def test_call_timeout_defaults_to_five_seconds():
    default = inspect.signature(GenServer.call).parameters["timeout"].default
    assert default == 5.0


async def test_a_call_timeout_makes_the_caller_exit_with_timeout_naming_the_call():
    pid = await Recorder.start((self(), None))
    with pytest.raises(CallTimeoutError) as raised:
        await GenServer.call(pid, ("sleep", 0.05), 0.01)
    error = raised.value
    assert error.call == "GenServer.call"
    assert error.reason == ("timeout", ("GenServer", "call", (pid, ("sleep", 0.05), 0.01)))
    assert "timeout" in str(error) and repr(pid) in str(error) and "sleep" in str(error)
    assert isinstance(error, ExitError)
    await receive(lambda m: m == ("did_the_work", ("sleep", 0.05)), timeout=WAIT)
    await GenServer.stop(pid)


async def test_after_a_call_timeout_the_server_keeps_running_and_still_does_the_work():
    pid = await Recorder.start((self(), None))
    with pytest.raises(CallTimeoutError):
        await GenServer.call(pid, ("sleep", 0.05), 0.01)
    assert await receive(timeout=WAIT) == ("did_the_work", ("sleep", 0.05))
    assert Process.alive(pid)
    assert await GenServer.call(pid, "log") == [("call", ("sleep", 0.05)), ("call", "log")]
    await GenServer.stop(pid)


async def test_the_late_reply_never_appears_in_the_callers_mailbox():
    pid = await Recorder.start((self(), None))

    async def caller(test):
        try:
            await GenServer.call(pid, ("sleep", 0.05), 0.01)
        except CallTimeoutError:
            pass
        await GenServer.call(pid, "log")  # the late reply was produced before this one
        mailbox = []
        while True:
            try:
                mailbox.append(await receive(timeout=0))
            except TimeoutError:
                break
        send(test, ("mailbox", mailbox))

    spawn(caller, self())
    assert await receive(lambda m: m[0] == "mailbox", timeout=WAIT) == ("mailbox", [])
    await GenServer.stop(pid)


async def test_a_timed_out_call_from_a_process_does_not_delay_its_next_call_deadline():
    pid = await Recorder.start((self(), None))

    async def caller(test):
        await GenServer.call(pid, "log", 10.0)  # arms the caller's timer far away
        try:
            await GenServer.call(pid, ("sleep", 0.2), 0.01)
        except CallTimeoutError:
            send(test, "timed_out_in_time")

    spawn(caller, self())
    # Timers fire in deadline order even on a stalled machine: with its own 0.01 s deadline the
    # caller times out before the server finishes its 0.2 s of work; with the 10 s one, after.
    first = await receive(lambda m: m == "timed_out_in_time" or m[0] == "did_the_work", WAIT)
    assert first == "timed_out_in_time"
    await receive(lambda m: m[0] == "did_the_work", timeout=WAIT)
    await GenServer.stop(pid)


async def test_a_call_to_a_dead_pid_exits_noproc():
    pid = await Recorder.start((self(), None))
    await GenServer.stop(pid)
    with pytest.raises(NoProcError) as raised:
        await GenServer.call(pid, "log")
    assert raised.value.reason == "noproc"


async def test_a_call_to_an_unregistered_name_exits_noproc():
    with pytest.raises(NoProcError, match="no_such_server"):
        await GenServer.call("no_such_server", "log")


async def test_calling_yourself_exits_calling_self():
    pid = await Recorder.start((self(), None))
    with pytest.raises(ExitError) as raised:
        await GenServer.call(pid, ("call_self", pid))
    # The server's own call raised CallingSelfError, so it exited with "calling_self"...
    assert raised.value.reason == "calling_self"
    await down_of(pid)

    # ...and the same error is raised directly in a process that calls itself.
    async def self_caller(test):
        try:
            await GenServer.call(self(), "anything")
        except CallingSelfError as error:
            send(test, error.reason)

    spawn(self_caller, self())
    assert await receive(lambda m: m == "calling_self", timeout=WAIT) == "calling_self"


async def test_a_server_crash_during_a_call_makes_the_caller_exit_with_the_servers_reason():
    pid = await Recorder.start((self(), None))
    ref = Process.monitor(pid)
    with pytest.raises(ExitError) as raised:
        await GenServer.call(pid, "crash")
    server_reason = await down_of(pid, ref)
    assert raised.value.reason is server_reason
    assert isinstance(server_reason, ValueError)


async def test_a_server_killed_while_a_deferred_call_waits_fails_the_caller_at_once():
    pid = await Recorder.start((self(), None))

    async def caller(test):
        try:
            await GenServer.call(pid, "defer", None)
        except ExitError as error:
            send(test, ("caller_exit", error.reason))

    spawn(caller, self())
    await receive(lambda m: m[0] == "deferred", timeout=WAIT)
    Process.exit(pid, "kill")
    assert await receive(lambda m: m[0] == "caller_exit", timeout=WAIT) == ("caller_exit", "killed")


async def test_a_linked_caller_dies_anyway_when_the_server_crashes_during_a_call():
    async def linked_caller():
        server = await Recorder.start_link((self(), None))
        await GenServer.call(server, "crash")

    pid, ref = spawn_monitor(linked_caller)
    assert isinstance(await down_of(pid, ref), ValueError)


async def test_cast_to_a_dead_pid_or_an_unregistered_name_returns_none():
    pid = await Recorder.start((self(), None))
    await GenServer.stop(pid)
    assert GenServer.cast(pid, "hello") is None
    assert GenServer.cast("nobody_by_that_name", "hello") is None


async def test_send_to_an_unregistered_name_raises_but_cast_does_not():
    with pytest.raises(NoProcError):
        send("nobody_by_that_name", "hello")


async def test_a_deferred_reply_reaches_the_caller():
    pid = await Recorder.start((self(), None))
    call = asyncio.ensure_future(GenServer.call(pid, "defer"))
    _, from_ = await receive(lambda m: m[0] == "deferred", timeout=WAIT)
    assert isinstance(from_, From) and from_.pid is self()
    GenServer.reply(from_, "answered later")
    assert await call == "answered later"
    await GenServer.stop(pid)


async def test_stop_with_a_reply_replies_then_terminates_with_the_reason():
    pid = await Recorder.start((self(), None))
    ref = Process.monitor(pid)
    assert await GenServer.call(pid, "stop_with_reply") == "bye"
    assert await receive(terminated, timeout=WAIT) == ("terminate", "done")
    assert await down_of(pid, ref) == "done"


# -- start and init ------------------------------------------------------------------------------


async def test_init_stop_makes_start_return_the_error_with_the_reason():
    with pytest.raises(StartError) as raised:
        await Recorder.start((self(), "stop"))
    assert raised.value.reason == "init_refused"


async def test_init_stop_makes_a_start_link_caller_exit_with_the_reason():
    async def starter():
        await Recorder.start_link((self(), "stop"))
        await receive()

    pid, ref = spawn_monitor(starter)
    assert await down_of(pid, ref) == "init_refused"


async def test_init_stop_gives_a_trapping_start_link_caller_the_error_and_an_exit_message():
    async def starter(test):
        Process.flag("trap_exit", True)
        try:
            await Recorder.start_link((test, "stop"))
        except StartError as error:
            send(test, ("error", error.reason))
        send(test, ("exit", (await receive(lambda m: type(m) is Exit)).reason))

    spawn(starter, self())
    assert await receive(timeout=WAIT) == ("error", "init_refused")
    assert await receive(timeout=WAIT) == ("exit", "init_refused")


async def test_init_stop_does_not_call_terminate():
    with pytest.raises(StartError):
        await Recorder.start((self(), "stop"))
    await assert_no_terminate()


async def test_init_ignore_makes_start_return_none():
    assert await Recorder.start((self(), "ignore")) is None
    assert await Recorder.start_link((self(), "ignore")) is None


async def test_a_raise_in_init_returns_an_error_carrying_the_exception(caplog):
    with pytest.raises(StartError) as raised:
        await Recorder.start((self(), "raise"))
    assert isinstance(raised.value.reason, RuntimeError)
    assert raised.value.reason.__traceback__ is not None
    assert "init exploded" in caplog.text


async def test_start_blocks_until_init_is_done():
    entered, released = asyncio.Event(), asyncio.Event()

    class Slow(GenServer):
        async def init(self, _):
            entered.set()
            await released.wait()
            return Ok("ready")

    start = asyncio.ensure_future(Slow.start())
    await entered.wait()
    assert not start.done()
    released.set()
    pid = await start
    assert Process.alive(pid)
    await GenServer.stop(pid)


async def test_a_second_start_under_the_same_name_returns_already_started():
    pid = await Recorder.start((self(), None), name="recorder")
    with pytest.raises(AlreadyStartedError) as raised:
        await Recorder.start((self(), None), name="recorder")
    assert raised.value.reason == ("already_started", pid)
    assert await GenServer.call("recorder", "log") == [("call", "log")]
    await GenServer.stop("recorder")
    assert Process.whereis("recorder") is None


async def test_start_link_from_outside_any_process_links_to_the_shell():
    pid = await Recorder.start_link((self(), None))
    assert Process.info(pid)["links"] == [self()]
    await GenServer.stop(pid, "bye")
    assert await receive(lambda m: type(m) is Exit, timeout=WAIT) == Exit(pid, "bye")


class ViaDict:
    """The smallest via registry: a dict (the real one is otp.Registry)."""

    def __init__(self):
        self.names = {}

    def register_name(self, key, pid):
        if key in self.names:
            return False
        self.names[key] = pid
        return True

    def unregister_name(self, key):
        self.names.pop(key, None)

    def whereis_name(self, key):
        return self.names.get(key)


async def test_via_names_work_with_start_and_call_and_give_noproc_after_exit():
    registry = ViaDict()
    name = via(registry, "worker-1")
    pid = await Recorder.start((self(), None), name=name)
    assert registry.whereis_name("worker-1") is pid
    assert await GenServer.call(name, "ping") == "ping"
    with pytest.raises(AlreadyStartedError):
        await Recorder.start((self(), None), name=name)
    await GenServer.stop(name)
    with pytest.raises(NoProcError):
        await GenServer.call(name, "ping")


# -- terminate -------------------------------------------------------------------------------------


async def test_terminate_runs_on_a_stop_return():
    pid = await Recorder.start((self(), None))
    GenServer.cast(pid, "stop")
    assert await receive(terminated, timeout=WAIT) == ("terminate", "cast_stop")
    await down_of(pid)


async def test_terminate_runs_on_a_raise_in_a_callback(caplog):
    pid = await Recorder.start((self(), None))
    ref = Process.monitor(pid)
    GenServer.cast(pid, "crash")
    _, reason = await receive(terminated, timeout=WAIT)
    assert isinstance(reason, ValueError)
    assert await down_of(pid, ref) is reason
    assert "crashed in cast" in caplog.text and "terminating" in caplog.text


async def test_terminate_runs_on_gen_server_stop():
    pid = await Recorder.start((self(), None))
    await GenServer.stop(pid, "shutdown")
    assert await receive(terminated, timeout=0) == ("terminate", "shutdown")
    assert not Process.alive(pid)


async def test_terminate_runs_on_the_parents_exit_signal_when_the_server_traps_exits():
    servers = []

    async def parent():
        servers.append(await Recorder.start_link((test_pid, "trap")))
        exit("shutdown")

    test_pid = self()
    spawn(parent)
    assert await receive(terminated, timeout=WAIT) == ("terminate", "shutdown")
    assert await down_of(servers[0]) == "noproc"


async def test_terminate_does_not_run_on_the_parents_exit_signal_without_trapping():
    servers = []

    async def parent():
        servers.append(await Recorder.start_link((test_pid, None)))
        exit("shutdown")

    test_pid = self()
    pid, ref = spawn_monitor(parent)
    await down_of(pid, ref)
    assert not Process.alive(servers[0])
    await assert_no_terminate()


async def test_terminate_never_runs_on_kill_even_when_trapping():
    pid = await Recorder.start((self(), "trap"))
    ref = Process.monitor(pid)
    Process.exit(pid, "kill")
    assert await down_of(pid, ref) == "killed"
    await assert_no_terminate()


async def test_an_exit_from_a_linked_non_parent_arrives_as_handle_info_when_trapping():
    pid = await Recorder.start((self(), "trap"))

    async def neighbour(server):
        Process.link(server)
        exit("neighbour_failed")

    other = spawn(neighbour, pid)
    assert await receive(lambda m: m[0] == "info", timeout=WAIT) == (
        "info",
        Exit(other, "neighbour_failed"),
    )
    assert Process.alive(pid)
    await GenServer.stop(pid)


# -- defaults -----------------------------------------------------------------------------


class Bare(GenServer):
    """Defines no callback at all: every default is exercised."""


async def test_the_default_handle_info_logs_and_keeps_running(caplog):
    caplog.set_level(logging.WARNING, logger="otp")
    pid = await Bare.start("state")
    send(pid, "unexpected")
    await GenServer.stop(pid)  # handled after the message, so the log line is there
    assert "unexpected" in caplog.text


async def test_a_missing_handle_call_crashes_the_server():
    pid = await Bare.start()
    with pytest.raises(ExitError) as raised:
        await GenServer.call(pid, "anything")
    assert isinstance(raised.value.reason, NotImplementedError)
    assert "handle_call" in str(raised.value.reason)
    assert not Process.alive(pid)


async def test_a_missing_handle_cast_crashes_the_server():
    pid = await Bare.start()
    ref = Process.monitor(pid)
    GenServer.cast(pid, "anything")
    reason = await down_of(pid, ref)
    assert isinstance(reason, NotImplementedError) and "handle_cast" in str(reason)


async def test_a_bad_callback_return_crashes_the_server_with_bad_return_value():
    class Sloppy(GenServer):
        async def handle_call(self, request, from_, state):
            return state  # forgot Reply(...)

    pid = await Sloppy.start(7)
    with pytest.raises(ExitError) as raised:
        await GenServer.call(pid, "x")
    assert raised.value.reason == ("bad_return_value", 7)


async def test_child_spec_defaults_to_the_class_as_id_permanent_worker_with_5s_shutdown():
    spec = Recorder.child_spec("arg")
    assert isinstance(spec, ChildSpec)
    assert (spec.id, spec.restart, spec.shutdown, spec.type) == (
        Recorder,
        "permanent",
        5.0,
        "worker",
    )
    start, args = spec.start
    assert args == ("arg",)
    assert start == Recorder.start_link


async def test_child_spec_start_really_starts_a_linked_server_and_overrides_apply():
    class Temp(GenServer):
        restart = "temporary"

    spec = Temp.child_spec(41, id="answer", shutdown="brutal_kill")
    assert (spec.id, spec.restart, spec.shutdown) == ("answer", "temporary", "brutal_kill")
    start, args = spec.start
    pid = await start(*args)
    assert Process.info(pid)["links"] == [self()]
    await GenServer.stop(pid)
    assert Process.info(self())["message_queue_len"] == 0  # the shell drops normal exits


async def test_inside_callbacks_self_pid_is_the_servers_pid():
    class Whoami(GenServer):
        async def handle_call(self, request, from_, state):
            return Reply(self.pid, state)

    pid = await Whoami.start()
    assert await GenServer.call(pid, "who") is pid
    await GenServer.stop(pid)


async def test_gen_server_stop_waits_and_reports_a_different_exit_reason():
    class BadTerminate(GenServer):
        async def terminate(self, reason, state):
            raise RuntimeError("terminate failed")

    pid = await BadTerminate.start()
    with pytest.raises(ExitError) as raised:
        await GenServer.stop(pid)
    assert isinstance(raised.value.reason, RuntimeError)


# -- timeouts and continues returned from callbacks ----------------------------------------------


class Ticker(GenServer):
    """Uses every way a callback can schedule a timeout or a continue."""

    async def init(self, test):
        return Ok(test)

    async def handle_call(self, request, from_, test):
        match request:
            case ("idle_for", seconds):
                return Reply("armed", test, timeout=seconds)
            case "continue_then_stop":
                return Reply("ok", test, continue_="stop")

    async def handle_cast(self, request, test):
        return NoReply(test, continue_=("echo", request))

    async def handle_continue(self, arg, test):
        if arg == "stop":
            return Stop("stopped_from_continue", test)
        send(test, ("continued", arg))
        return NoReply(test)

    async def handle_info(self, message, test):
        send(test, ("info", message))
        return NoReply(test)


async def test_a_reply_with_a_timeout_delivers_timeout_when_no_message_follows():
    pid = await Ticker.start(self())
    assert await GenServer.call(pid, ("idle_for", 0.01)) == "armed"
    assert await receive(timeout=WAIT) == ("info", "timeout")
    await GenServer.stop(pid)


async def test_a_noreply_with_continue_runs_handle_continue_before_the_next_message():
    pid = await Ticker.start(self())
    GenServer.cast(pid, "first")
    send(pid, "after")
    assert await receive(timeout=WAIT) == ("continued", ("echo", "first"))
    assert await receive(timeout=WAIT) == ("info", "after")
    await GenServer.stop(pid)


async def test_handle_continue_may_stop_the_server():
    pid = await Ticker.start(self())
    ref = Process.monitor(pid)
    assert await GenServer.call(pid, "continue_then_stop") == "ok"
    assert await down_of(pid, ref) == "stopped_from_continue"


async def test_gen_server_stop_times_out_when_terminate_hangs():
    class Stuck(GenServer):
        async def terminate(self, reason, state):
            await receive(lambda m: m == "never")

    pid = await Stuck.start()
    with pytest.raises(CallTimeoutError) as raised:
        await GenServer.stop(pid, "normal", 0.01)
    error = raised.value
    assert error.call == "GenServer.stop"
    assert error.reason == ("timeout", ("GenServer", "stop", (pid, "normal", 0.01)))
    assert str(error).startswith(f"GenServer.stop({pid!r}, 'normal', timeout=0.01)")
    assert "terminate" in str(error)
    assert Process.alive(pid)
    Process.exit(pid, "kill")


async def test_concurrent_calls_from_plain_tasks_each_get_their_own_reply_or_timeout():
    pid = await Recorder.start((self(), None))
    slow = asyncio.ensure_future(GenServer.call(pid, ("sleep", 0.05), 0.01))
    fast = asyncio.ensure_future(GenServer.call(pid, "quick", 1.0))
    with pytest.raises(CallTimeoutError):
        await slow
    assert await fast == "quick"
    await GenServer.stop(pid)


async def test_from_names_the_calling_process():
    pid = await Recorder.start((self(), None))

    async def caller(test):
        send(test, ("caller", self()))
        await GenServer.call(pid, "defer", None)

    caller_pid = spawn(caller, self())
    _, expected = await receive(lambda m: m[0] == "caller", timeout=WAIT)
    _, from_ = await receive(lambda m: m[0] == "deferred", timeout=WAIT)
    assert from_.pid is expected is caller_pid
    GenServer.reply(from_, "done")
    await GenServer.stop(pid)


async def test_sequential_calls_from_a_process_share_one_deadline_timer():
    """The performance design: no timer is scheduled (and cancelled) per call."""
    pid = await Recorder.start((self(), None))
    loop = asyncio.get_running_loop()

    async def caller(test):
        before = len(loop._scheduled)  # BaseEventLoop's timer heap
        await GenServer.call(pid, "first")
        armed = len(loop._scheduled)
        for i in range(200):
            await GenServer.call(pid, i)
        send(test, ("timers", armed - before, len(loop._scheduled) - armed))

    spawn(caller, self())
    assert await receive(lambda m: m[0] == "timers", timeout=WAIT) == ("timers", 1, 0)
    await GenServer.stop(pid)
