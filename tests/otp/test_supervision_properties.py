"""Fault injection on random supervision trees, checked against a model of OTP's rules.

Hypothesis draws a tree (a top supervisor with workers and child supervisors, each with a
random strategy, restart types and max_restarts) and a sequence of faults (a worker crashes,
exits normal, exits shutdown or is killed, while a fake clock moves on). The test runs the
faults on a real tree of journaled processes, and the same faults on a small independent model
of the rules; the journals must match event for event. That one comparison covers:

- restarts follow the strategy (which siblings stop, in which order, which start again);
- escalation happens exactly when the intensity is exceeded, and climbs to the parent;
- nothing restarts after a supervisor has shut down;
- every shutdown stops children in reverse start order.

Then, after the top supervisor is stopped: no process and no asyncio task is left.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from otp import Process, Supervisor
from supervision_probes import Journal, JournaledSupervisor, crash, settle, supervisor, worker

WINDOW = 5.0
NORMAL = ("normal", "shutdown")
LABELS = {"crash": "RuntimeError", "normal": "normal", "shutdown": "shutdown"}


# -- the tree's shape --------------------------------------------------------------------------


@dataclass(frozen=True)
class WorkerShape:
    restart: str


@dataclass(frozen=True)
class SupShape:
    restart: str
    strategy: str
    max_restarts: int
    children: tuple[WorkerShape | SupShape, ...]


restarts = st.sampled_from(["permanent", "transient", "temporary"])
strategies = st.sampled_from(["one_for_one", "one_for_all", "rest_for_one"])
workers = st.builds(WorkerShape, restarts)
child_supervisors = st.builds(
    SupShape,
    restarts,
    strategies,
    st.integers(0, 3),
    st.lists(workers, min_size=1, max_size=3).map(tuple),
)
trees = st.builds(
    SupShape,
    st.just("permanent"),
    strategies,
    st.integers(0, 3),
    st.lists(st.one_of(workers, child_supervisors), min_size=1, max_size=4).map(tuple),
)
faults = st.lists(
    st.tuples(
        st.integers(0, 15),  # which running worker (modulo how many run)
        st.sampled_from(["crash", "normal", "shutdown", "kill"]),
        st.sampled_from([0.0, 0.0, 1.0, 2.5, 6.0]),  # seconds the clock moves first
    ),
    max_size=10,
)


def name_nodes(shape: SupShape) -> dict[int, str]:
    """Ids by node identity: "top", then "s0", "s1"... and "w0", "w1"... depth first."""
    names: dict[int, str] = {id(shape): "top"}
    counters = {"s": 0, "w": 0}

    def walk(node: SupShape) -> None:
        for child in node.children:
            kind = "s" if isinstance(child, SupShape) else "w"
            names[id(child)] = f"{kind}{counters[kind]}"
            counters[kind] += 1
            if isinstance(child, SupShape):
                walk(child)

    walk(shape)
    return names


# -- the model ---------------------------------------------------------------------------------


@dataclass(eq=False)
class Node:
    id: str
    shape: WorkerShape | SupShape
    parent: Node | None
    running: bool = False
    children: list[Node] = field(default_factory=list)
    stamps: list[float] = field(default_factory=list)

    @property
    def restart(self) -> str:
        return self.shape.restart


class Model:
    """OTP's restart rules, written out plainly and independently of ``otp.supervisor``."""

    def __init__(self, shape: SupShape, names: dict[int, str]) -> None:
        self.names = names
        self.events: list[tuple] = []
        self.now = 0.0
        self.top = Node("top", shape, None)
        self.top_alive = True
        self.start(self.top)

    def start(self, node: Node) -> None:
        self.events.append(("start", node.id))
        node.running = True
        if isinstance(node.shape, SupShape):
            node.stamps = []
            node.children = [Node(self.names[id(c)], c, node) for c in node.shape.children]
            for child in node.children:
                self.start(child)

    def stop(self, node: Node) -> None:
        if not node.running:
            return
        if isinstance(node.shape, SupShape):
            for child in reversed(node.children):
                self.stop(child)
        else:
            self.events.append(("stop", node.id, "shutdown"))
        node.running = False

    def running_workers(self, node: Node | None = None) -> list[Node]:
        node = node or self.top
        found: list[Node] = []
        for child in node.children:
            if child.running and isinstance(child.shape, SupShape):
                found += self.running_workers(child)
            elif child.running:
                found.append(child)
        return found

    def fault(self, target: Node, how: str) -> None:
        if how != "kill":
            self.events.append(("stop", target.id, LABELS[how]))
        target.running = False
        self.exited(target.parent, target, "killed" if how == "kill" else how)

    def exited(self, sup: Node, child: Node, reason: str) -> None:
        restart = child.restart
        if restart == "permanent" or (restart == "transient" and reason not in NORMAL):
            sup.stamps = [t for t in [*sup.stamps, self.now] if self.now - t <= WINDOW]
            if len(sup.stamps) > sup.shape.max_restarts:
                self.escalate(sup)
                return
            affected = self.affected(sup, child)
            for sibling in reversed(affected):
                if sibling is not child:
                    self.stop(sibling)
                    if sibling.restart == "temporary":
                        sup.children.remove(sibling)
            for sibling in affected:
                if sibling in sup.children and not sibling.running:
                    self.start(sibling)
        elif restart == "temporary":
            sup.children.remove(child)

    @staticmethod
    def affected(sup: Node, child: Node) -> list[Node]:
        position = sup.children.index(child)
        return {
            "one_for_one": [child],
            "one_for_all": list(sup.children),
            "rest_for_one": sup.children[position:],
        }[sup.shape.strategy]

    def escalate(self, sup: Node) -> None:
        for child in reversed(sup.children):
            self.stop(child)
        sup.running = False
        if sup.parent is None:
            self.top_alive = False
        else:
            self.exited(sup.parent, sup, "shutdown")


# -- the real tree -----------------------------------------------------------------------------


def real_children(shape: SupShape, names: dict[int, str], journal: Journal) -> list:
    specs = []
    for child in shape.children:
        child_id = names[id(child)]
        if isinstance(child, SupShape):
            specs.append(
                supervisor(
                    journal,
                    child_id,
                    real_children(child, names, journal),
                    restart=child.restart,
                    strategy=child.strategy,
                    max_restarts=child.max_restarts,
                    max_seconds=WINDOW,
                )
            )
        else:
            specs.append(worker(journal, child_id, restart=child.restart))
    return specs


@contextlib.contextmanager
def quiet_crash_reports():
    logger = logging.getLogger("otp")
    previous = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(previous)


async def run_scenario(shape: SupShape, fault_list: list[tuple[int, str, float]]) -> None:
    tasks_before = asyncio.all_tasks()
    names = name_nodes(shape)
    journal = Journal()
    model = Model(shape, names)
    options = {"strategy": shape.strategy, "max_restarts": shape.max_restarts}
    top = await JournaledSupervisor.start_link(
        (journal, "top", real_children(shape, names, journal), {**options, "max_seconds": WINDOW})
    )
    assert journal.events == model.events, "start order"

    for index, how, elapsed in fault_list:
        if not model.top_alive:
            break
        running = model.running_workers()
        if not running:
            break
        journal.clock.now += elapsed
        model.now = journal.clock.now
        target = running[index % len(running)]
        path = []
        node = target.parent
        while node is not None:
            path.append(node.id)
            node = node.parent
        await crash(journal.pids[target.id], how)
        model.fault(target, how)
        for sup_id in path:  # innermost first: an escalation reaches each parent in turn
            await settle(journal.pids[sup_id])
        assert journal.events == model.events, f"after {how} of {target.id}"
        assert Process.alive(top) == model.top_alive, "escalation reached the top exactly"

    if model.top_alive:
        await Supervisor.stop(top)
        model.stop(model.top)
    assert journal.events == model.events, "final shutdown in reverse start order"

    leftover = asyncio.all_tasks() - tasks_before
    if leftover:
        await asyncio.wait(leftover, timeout=2.0)
    assert all(task.done() for task in leftover), "an asyncio task outlived the tree"
    assert Process.list() == [], "a process outlived the tree"
    assert journal.events == model.events, "something restarted after the shutdown"


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(shape=trees, fault_list=faults)
def test_random_trees_under_random_faults_follow_otp_restart_rules(shape, fault_list):
    with quiet_crash_reports():
        asyncio.run(run_scenario(shape, fault_list))


def test_the_model_escalates_on_the_first_restart_past_max_restarts():
    """The model itself, on a case worked out by hand (so a bug cannot hide in both)."""
    shape = SupShape("permanent", "one_for_one", 1, (WorkerShape("permanent"),))
    model = Model(shape, name_nodes(shape))
    [w] = model.running_workers()
    model.fault(w, "crash")
    assert model.top_alive
    [w] = model.running_workers()
    model.fault(w, "crash")
    assert not model.top_alive
    assert model.events == [
        ("start", "top"),
        ("start", "w0"),
        ("stop", "w0", "RuntimeError"),
        ("start", "w0"),
        ("stop", "w0", "RuntimeError"),
    ]
