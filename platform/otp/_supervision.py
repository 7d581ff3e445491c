"""What every supervisor does: obtain its spec, start a child, classify its exit, count the
restart against the intensity, stop the child; and how callers talk to a supervisor.

Shared by :mod:`otp.supervisor` and :mod:`otp.dynamic_supervisor`. Starting and stopping
children must run inside the supervisor's own process: starting links the child to the caller,
and stopping waits for the child's ``Down`` in the caller's mailbox. ``call_supervisor`` and
``supervisor_child_spec`` are for the supervisor's callers.
"""

from __future__ import annotations

import asyncio
import functools
import heapq
import inspect
import logging
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from otp._exceptions import OTPError, format_reason
from otp._process import Down, Exit, Pid, Process, receive
from otp._restart_intensity import RestartIntensity
from otp._returns import Ignore, Stop
from otp.child_spec import ChildSpec, child_spec
from otp.gen_server import GenServer

__all__ = [
    "Clock",
    "StartFailed",
    "call_supervisor",
    "exit_calls_for_restart",
    "is_normal_exit",
    "log",
    "report_child_exit",
    "restart_allowed",
    "shutdown_child",
    "shutdown_children_together",
    "spec_from_init",
    "start_child",
    "supervisor_child_spec",
]

Clock = Callable[[], float]
SpecT = TypeVar("SpecT")

log = logging.getLogger("otp.supervisor")


@dataclass(frozen=True)
class StartFailed:
    """A child's start function failed; ``reason`` is what Elixir puts in ``{:error, reason}``."""

    reason: Any


def is_normal_exit(reason: Any) -> bool:
    """The reasons after which a transient child stays down: normal, shutdown, (shutdown, _)."""
    if reason == "normal" or reason == "shutdown":
        return True
    return isinstance(reason, tuple) and len(reason) == 2 and reason[0] == "shutdown"


async def spec_from_init(module: type, arg: Any, spec_type: type[SpecT]) -> SpecT | Ignore | Stop:
    """Run a module-form supervisor's ``init(arg)`` (sync or async) and check what it returned.

    A return that is neither a ``spec_type`` nor ``Ignore`` becomes the ``Stop`` OTP gives for
    a bad ``init`` return, so the supervisor's start fails with a reason naming the module.
    """
    returned = module().init(arg)
    if inspect.isawaitable(returned):
        returned = await returned
    if isinstance(returned, (Ignore, spec_type)):
        return returned
    return Stop(("bad_return", (module, "init", returned)))


def exit_calls_for_restart(
    supervisor: Any, child_id: Any, pid: Pid, restart: str, reason: Any
) -> bool:
    """Report a child's exit as OTP does and say whether its restart type asks for a restart.

    A permanent child is reported and restarted whatever its reason; a transient one only after
    an abnormal exit; a temporary one never restarts, but an abnormal exit is still reported.
    """
    restarts = restart == "permanent" or (restart == "transient" and not is_normal_exit(reason))
    if restarts or not is_normal_exit(reason):
        report_child_exit(supervisor, child_id, pid, reason)
    return restarts


def restart_allowed(kind: str, supervisor: Any, intensity: RestartIntensity, now: float) -> bool:
    """Record one restart at ``now``; past the intensity, log why the supervisor gives up.

    ``kind`` names the supervisor in the log ("supervisor", "dynamic supervisor").
    """
    if intensity.add_restart(now):
        return True
    log.error(
        "%s %r: reached max restart intensity (%d in %s s); shutting down",
        kind,
        supervisor,
        intensity.max_restarts,
        intensity.max_seconds,
    )
    return False


def supervisor_child_spec(
    module: Any, arg: Any, overrides: dict[str, Any], start_options: Iterable[str]
) -> ChildSpec:
    """A spec that starts ``module`` (a supervisor class) as a child of another supervisor.

    The keys of ``overrides`` named in ``start_options`` go to ``module.start_link``; the others
    override the spec's fields. Type supervisor, so the shutdown waits for its whole subtree.
    """
    options = {key: overrides.pop(key) for key in start_options if key in overrides}
    start = functools.partial(module.start_link, **options)
    spec = ChildSpec(id=module, start=(start, (arg,)), type="supervisor")
    return child_spec(spec, **overrides) if overrides else spec


async def call_supervisor(sup: Any, request: tuple[Any, ...]) -> Any:
    """Call a supervisor without a timeout and raise the error it answered with, if any.

    Supervisors reply with an exception instance rather than raising it in their own process,
    where it would crash them; the caller raises it.
    """
    result = await GenServer.call(sup, request, timeout=math.inf)
    if isinstance(result, Exception):
        raise result
    return result


async def start_child(spec: ChildSpec, *extra_arguments: Any) -> Pid | StartFailed | None:
    """Start one child from its spec: its pid, ``None`` for ignore, or why it failed."""
    try:
        pid = await spec.start_child(*extra_arguments)
    except OTPError as error:
        reason = getattr(error, "reason", error)
        return StartFailed(reason)
    except Exception as error:
        return StartFailed(error)
    if pid is not None and not isinstance(pid, Pid):
        return StartFailed(("bad_start_return", pid))
    return pid


async def shutdown_child(pid: Pid, shutdown: float | Literal["brutal_kill"]) -> Any:
    """Stop ``pid`` as OTP's supervisor does and return the reason it exited with.

    ``shutdown`` seconds to stop after an exit signal ``"shutdown"``, then ``"kill"``;
    ``"brutal_kill"`` kills at once; ``math.inf`` waits forever (the default for supervisors,
    whose own children need time to stop).
    """
    ref = Process.monitor(pid)
    Process.unlink(pid)
    # If the child died before the unlink, its Exit is already queued; consume it here so the
    # supervisor does not later take it for a crash to restart from.
    early = await _take_exit(pid)
    if early is not None:
        await receive(_down_of(ref))
        return early.reason
    if shutdown == "brutal_kill":
        Process.exit(pid, "kill")
        down: Down = await receive(_down_of(ref))
        return down.reason
    Process.exit(pid, "shutdown")
    try:
        down = await receive(_down_of(ref), timeout=None if shutdown == math.inf else shutdown)
    except TimeoutError:
        log.warning("child %r did not stop within its shutdown of %s s; killing it", pid, shutdown)
        Process.exit(pid, "kill")
        down = await receive(_down_of(ref))
    return down.reason


async def _take_exit(pid: Pid) -> Exit | None:
    try:
        return await receive(lambda m: type(m) is Exit and m.pid is pid, timeout=0)
    except TimeoutError:
        return None


def _down_of(ref: Any) -> Any:
    return lambda m: type(m) is Down and m.ref is ref


def report_child_exit(supervisor: Any, child_id: Any, pid: Pid, reason: Any) -> None:
    """Log a child's abnormal exit the way OTP's supervisor report does."""
    log.error(
        "supervisor %r: child %r (%r) terminated with reason %s",
        supervisor,
        child_id,
        pid,
        format_reason(reason),
    )


async def shutdown_children_together(
    children: list[tuple[Pid, float | Literal["brutal_kill"]]],
) -> None:
    """Stop many children at once, each within its own shutdown (DynamicSupervisor's way:
    its children are peers, so none waits for another). Linear in the number of children."""
    loop = asyncio.get_running_loop()
    monitored = [(Process.monitor(pid), pid, shutdown) for pid, shutdown in children]
    for _, pid, _ in monitored:
        Process.unlink(pid)
    # Exits of children that died before the unlinks; their Down still arrives below.
    leaving = {pid for _, pid, _ in monitored}
    while True:
        try:
            await receive(lambda m: type(m) is Exit and m.pid in leaving, timeout=0)
        except TimeoutError:
            break
    waiting: dict[Any, Pid] = {}
    deadlines: list[tuple[float, int, Any]] = []  # heap of (deadline, tiebreak, ref)
    now = loop.time()
    for n, (ref, pid, shutdown) in enumerate(monitored):
        waiting[ref] = pid
        if shutdown == "brutal_kill":
            Process.exit(pid, "kill")
            continue
        Process.exit(pid, "shutdown")
        if shutdown != math.inf:
            heapq.heappush(deadlines, (now + shutdown, n, ref))
    while waiting:
        while deadlines and deadlines[0][2] not in waiting:
            heapq.heappop(deadlines)
        left = max(0.0, deadlines[0][0] - loop.time()) if deadlines else None
        try:
            down = await receive(lambda m: type(m) is Down and m.ref in waiting, timeout=left)
        except TimeoutError:
            now = loop.time()
            while deadlines and deadlines[0][0] <= now:
                ref = heapq.heappop(deadlines)[2]
                if ref in waiting:
                    log.warning(
                        "child %r did not stop within its shutdown; killing it", waiting[ref]
                    )
                    Process.exit(waiting[ref], "kill")
            continue
        del waiting[down.ref]
