"""Random link/monitor/exit sequences against a small model of OTP's signal rules.

Invariants checked on every example:
- a process dies exactly when the model says so, with the model's reason (in particular a
  non-trapping linked process dies iff it receives a non-normal signal);
- every monitor receives exactly one ``Down`` once its target is gone, and none before;
- once everything is killed, no asyncio task of the scenario survives.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from otp import Down, Exit, Process, exit, receive, self, send, spawn

REASONS = ("normal", "shutdown", "boom", "kill")
N_MAX = 5

operations = st.one_of(
    st.tuples(st.just("link"), st.integers(0, N_MAX - 1), st.integers(0, N_MAX - 1)),
    st.tuples(st.just("unlink"), st.integers(0, N_MAX - 1), st.integers(0, N_MAX - 1)),
    st.tuples(st.just("monitor"), st.integers(0, N_MAX - 1), st.integers(0, N_MAX - 1)),
    st.tuples(
        st.just("signal"),
        st.integers(0, N_MAX - 1),
        st.integers(0, N_MAX - 1),
        st.sampled_from(REASONS),
    ),
    st.tuples(
        st.just("end"), st.integers(0, N_MAX - 1), st.sampled_from(("normal", "boom", "raise"))
    ),
)


@dataclass
class Model:
    """OTP's signal rules, written as plainly as possible."""

    trap: list[bool]
    alive: list[bool] = field(default_factory=list)
    reason: list[object] = field(default_factory=list)
    links: set[frozenset[int]] = field(default_factory=set)
    monitors: list[tuple[int, int]] = field(default_factory=list)  # (watcher, target)
    downs: dict[int, int] = field(default_factory=dict)  # monitor index -> Downs delivered

    def __post_init__(self) -> None:
        self.alive = [True] * len(self.trap)
        self.reason = [None] * len(self.trap)

    def die(self, i: int, reason: object) -> None:
        if not self.alive[i]:
            return
        self.alive[i] = False
        self.reason[i] = reason
        for link in [link for link in self.links if i in link]:
            self.links.discard(link)
            (other,) = link - {i}
            self.signal(other, reason)
        for index, (_, target) in enumerate(self.monitors):
            if target == i:
                self.downs[index] = self.downs.get(index, 0) + 1

    def signal(self, i: int, reason: object, untrappable: bool = False) -> None:
        if not self.alive[i]:
            return
        if untrappable:
            self.die(i, "killed")
        elif not self.trap[i] and reason != "normal":
            self.die(i, reason)

    def apply(self, op: tuple) -> bool:
        """Apply ``op``; False when it does not apply (its actor is dead or it is a no-op)."""
        kind, i, *rest = op
        if not self.alive[i]:
            return False
        if kind == "end":
            self.die(i, "raise" if rest[0] == "raise" else rest[0])
            return True
        j = rest[0]
        if i == j:
            return False
        if kind == "link":
            if self.alive[j]:
                self.links.add(frozenset((i, j)))
            else:
                self.signal(i, "noproc")
        elif kind == "unlink":
            self.links.discard(frozenset((i, j)))
        elif kind == "monitor":
            self.monitors.append((i, j))
            if not self.alive[j]:
                self.downs[len(self.monitors) - 1] = 1
        else:
            reason = rest[1]
            self.signal(j, reason, untrappable=reason == "kill")
        return True


async def actor(test, trap: bool) -> None:
    """Executes the test's commands, then reports how many Downs each monitor got."""
    Process.flag("trap_exit", trap)
    refs = []
    while True:
        _, op, pids = await receive(lambda m: type(m) is tuple and m[0] == "cmd")
        kind = op[0]
        if kind == "report":
            downs = []
            while True:
                try:
                    downs.append(await receive(lambda m: type(m) is Down, timeout=0))
                except TimeoutError:
                    break
            send(test, ("report", self(), [sum(d.ref is r for d in downs) for r in refs]))
            continue
        if kind == "end":
            if op[2] == "raise":
                raise RuntimeError("actor crashed")
            send(test, ("ack", self()))
            exit(op[2])
        target = pids[op[2]]
        if kind == "link":
            Process.link(target)
        elif kind == "unlink":
            Process.unlink(target)
        elif kind == "monitor":
            refs.append(Process.monitor(target))
        else:
            Process.exit(target, op[3])
        send(test, ("ack", self()))


async def scenario(traps: list[bool], ops: list[tuple]) -> None:
    n = len(traps)
    model = Model(list(traps))
    test = self()
    pids = [spawn(actor, test, trap) for trap in traps]
    watch = {Process.monitor(pid): i for i, pid in enumerate(pids)}
    await asyncio.sleep(0)  # let every actor set its trap flag before the first signal
    observed: dict[int, object] = {}

    def note_down(message: Down) -> None:
        observed[watch[message.ref]] = message.reason

    monitors_of: list[list[int]] = [[] for _ in range(n)]
    for op in ops:
        op = (op[0], op[1] % n, *(x % n if isinstance(x, int) else x for x in op[2:]))
        if not model.apply(op):
            continue
        if op[0] == "monitor":
            monitors_of[op[1]].append(len(model.monitors) - 1)
        actor_pid = pids[op[1]]
        send(actor_pid, ("cmd", op, pids))
        while True:  # wait for the ack, or for the actor's own Down
            message = await receive(
                lambda m, a=actor_pid: (
                    (type(m) is tuple and m == ("ack", a))
                    or (type(m) is Down and m.ref in watch and watch[m.ref] == pids.index(a))
                ),
                timeout=2.0,
            )
            if type(message) is Down:
                note_down(message)
            break
    # Collect every Down that the model's deaths produced.
    while len(observed) < model.alive.count(False):
        note_down(await receive(lambda m: type(m) is Down and m.ref in watch, timeout=2.0))
    for i in range(n):
        assert Process.alive(pids[i]) == model.alive[i], (i, model, observed)
        if not model.alive[i]:
            expected = model.reason[i]
            if expected == "raise":
                assert isinstance(observed[i], RuntimeError)
            else:
                assert observed[i] == expected, (i, observed[i], expected)
    # Each live watcher got exactly the Downs the model delivered to its monitors.
    for i in range(n):
        if model.alive[i]:
            send(pids[i], ("cmd", ("report",), pids))
            _, _, counts = await receive(
                lambda m, p=pids[i]: type(m) is tuple and m[:2] == ("report", p), timeout=2.0
            )
            assert counts == [model.downs.get(index, 0) for index in monitors_of[i]]
    for pid in pids:
        Process.exit(pid, "kill")
    # The shell got one Down per actor, and Exit messages only from links it never made: none.
    downs = [m for m in _drain() if type(m) is Down and m.ref in watch]
    assert len(downs) + len(observed) == n
    assert not any(type(m) is Exit for m in _drain())
    loop = asyncio.get_running_loop()
    others = [t for t in asyncio.all_tasks(loop) if t is not asyncio.current_task()]
    if others:
        await asyncio.wait(others, timeout=2.0)
    assert [t for t in asyncio.all_tasks(loop) if t is not asyncio.current_task()] == []


def _drain() -> list:
    from otp._process import _me

    mailbox = _me().mailbox
    messages = list(mailbox or ())
    if mailbox:
        mailbox.clear()
    return messages


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    traps=st.lists(st.booleans(), min_size=2, max_size=N_MAX),
    ops=st.lists(operations, max_size=25),
)
def test_random_link_monitor_exit_sequences_follow_otp_signal_rules(traps, ops):
    otp_logger = logging.getLogger("otp")
    otp_logger.disabled = True  # crash reports are expected here by the hundred
    try:
        asyncio.run(scenario(traps, ops))
    finally:
        otp_logger.disabled = False
