"""Probes for the supervision tests: workers and supervisors that write what happens to them
into a shared journal, and a clock the tests move by hand."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import otp
from otp import ChildSpec, GenServer, NoReply, Ok, Process, Reply, Stop, Supervisor


@dataclass
class FakeClock:
    """A clock for the intensity window: time moves only when a test says so."""

    now: float = 0.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Journal:
    """What happened, in order: ``("start", id)`` and ``("stop", id, reason)``."""

    events: list[tuple[Any, ...]] = field(default_factory=list)
    pids: dict[Any, otp.Pid] = field(default_factory=dict)
    clock: FakeClock = field(default_factory=FakeClock)

    def started(self, child_id: Any, pid: otp.Pid) -> None:
        self.events.append(("start", child_id))
        self.pids[child_id] = pid

    def stopped(self, child_id: Any, reason: Any) -> None:
        self.events.append(("stop", child_id, label(reason)))

    def starts(self) -> list[Any]:
        return [event[1] for event in self.events if event[0] == "start"]

    def stops(self) -> list[Any]:
        return [event[1] for event in self.events if event[0] == "stop"]

    def clear(self) -> None:
        self.events.clear()


def label(reason: Any) -> Any:
    """Exit reasons as short comparable labels (a crash is its exception type's name)."""
    if isinstance(reason, BaseException):
        return type(reason).__name__
    return reason


class Worker(GenServer):
    """A worker that journals its start and its ``terminate``; it traps exits when asked, so
    that a supervisor's shutdown runs ``terminate``."""

    async def init(self, arg: tuple[Journal, Any, dict[str, Any]]) -> Ok | Stop | otp.Ignore:
        journal, child_id, options = arg
        if options.get("trap", True):
            Process.flag("trap_exit", True)
        plans = options.get("init_plans")  # one plan per start, for flaky children
        match plans.pop(0) if plans else options.get("init"):
            case "ignore":
                return otp.Ignore()
            case ("stop", reason):
                return Stop(reason)
        journal.started(child_id, otp.self())
        return Ok((journal, child_id, options))

    async def handle_call(self, request: Any, from_: Any, state: Any) -> Reply | Stop:
        match request:
            case "ping":
                return Reply("pong", state)
            case "crash":
                raise RuntimeError("crash requested by the test")
            case ("stop", reason):
                return Stop(reason, state, "ok")
        raise ValueError(request)

    async def handle_info(self, message: Any, state: Any) -> NoReply:
        return NoReply(state)

    async def terminate(self, reason: Any, state: Any) -> None:
        journal, child_id, options = state
        journal.stopped(child_id, reason)
        hang = options.get("hang_in_terminate")
        if hang is not None:
            await hang.wait()


def worker(
    journal: Journal,
    child_id: Any,
    *,
    restart: str = "permanent",
    shutdown: Any = None,
    **options: Any,
) -> ChildSpec:
    """The spec of a journaled :class:`Worker` with id ``child_id``."""
    return ChildSpec(
        id=child_id,
        start=(Worker.start_link, ((journal, child_id, options),)),
        restart=restart,  # type: ignore[arg-type]
        shutdown=shutdown,
    )


class JournaledSupervisor(Supervisor):
    """A module-based supervisor that journals its own start; its options come in ``arg``."""

    async def init(self, arg: tuple[Journal, Any, list[ChildSpec], dict[str, Any]]) -> Any:
        journal, sup_id, children, options = arg
        journal.started(sup_id, otp.self())
        return Supervisor.init_spec(children, clock=journal.clock, **options)


def supervisor(
    journal: Journal,
    sup_id: Any,
    children: list[ChildSpec],
    *,
    restart: str = "permanent",
    **options: Any,
) -> ChildSpec:
    """The spec of a :class:`JournaledSupervisor` child with id ``sup_id``."""
    return JournaledSupervisor.child_spec(
        (journal, sup_id, children, options), id=sup_id, restart=restart
    )


async def crash(pid: otp.Pid, how: str = "crash") -> None:
    """Make a journaled worker exit: ``"crash"`` (raise), ``"normal"``/``"shutdown"`` (Stop
    with that reason), or ``"kill"`` (untrappable, no terminate)."""
    if how == "kill":
        Process.exit(pid, "kill")
        return
    request = "crash" if how == "crash" else ("stop", how)
    try:
        await GenServer.call(pid, request)
    except otp.ExitError:
        pass


async def settle(*sups: Any) -> None:
    """Wait until each supervisor has handled everything already in its mailbox (a call is
    answered after the exit signals queued before it). Dead supervisors are skipped."""
    for sup in sups:
        try:
            await Supervisor.which_children(sup)
        except otp.ExitError:
            pass
