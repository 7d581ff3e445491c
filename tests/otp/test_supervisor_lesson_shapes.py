"""The supervision shapes the lessons teach, written the way a learner would write them.

Each test is a small program in the lessons' style: a module-based supervisor with a fixed
name, a tree mixing workers and supervisors, a worker pool on a DynamicSupervisor, work
handed to a TaskSupervisor. They prove the API reads naturally and that the pieces compose.
"""

import pytest
from otp import (
    DynamicSupervisor,
    ExitError,
    GenServer,
    NoReply,
    Process,
    Reply,
    Supervisor,
    Task,
    TaskSupervisor,
)

pytestmark = pytest.mark.usefixtures("no_leaks")


class Counter(GenServer):
    async def handle_call(self, request, from_, count):
        match request:
            case "value":
                return Reply(count, count)
            case "fail":
                raise RuntimeError("counter failed on purpose")

    async def handle_cast(self, request, count):
        return NoReply(count + 1)


class Inventory(GenServer):
    async def handle_call(self, request, from_, items):
        return Reply(items, items)


class Catalog(Supervisor):
    """A supervisor that always runs under its own name, as `name: __MODULE__` does."""

    @classmethod
    async def start_link(cls, arg=None, **options):
        return await super().start_link(arg, name="catalog")

    async def init(self, _arg):
        return Supervisor.init_spec([(Counter, 0), (Inventory, ["lamp"])], strategy="one_for_one")


class Jobs(DynamicSupervisor):
    @classmethod
    async def start_link(cls, arg=None, **options):
        return await super().start_link(arg, name="jobs")

    async def init(self, _arg):
        return DynamicSupervisor.init_spec(max_children=10)

    @staticmethod
    async def start_job(initial):
        return await DynamicSupervisor.start_child("jobs", (Counter, initial))

    @staticmethod
    async def stop_job(pid):
        await DynamicSupervisor.terminate_child("jobs", pid)


async def child_pid(sup, child_id):
    for child in await Supervisor.which_children(sup):
        if child.id is child_id:
            return child.pid
    raise LookupError(child_id)


async def test_a_named_module_supervisor_restarts_a_crashed_counter_from_its_initial_state():
    await Catalog.start_link()
    counter = await child_pid("catalog", Counter)
    GenServer.cast(counter, "increment")
    assert await GenServer.call(counter, "value") == 1
    with pytest.raises(ExitError, match="on purpose"):
        await GenServer.call(counter, "fail")
    restarted = await child_pid("catalog", Counter)
    assert restarted != counter
    assert await GenServer.call(restarted, "value") == 0
    await Supervisor.stop("catalog")


async def test_an_application_tree_of_workers_and_supervisors_starts_and_stops_as_one():
    app = await Supervisor.start_link(
        [Catalog, Jobs, (TaskSupervisor, {"name": "tasks"})], strategy="one_for_one", name="app"
    )
    counts = await Supervisor.count_children("app")
    assert (counts.specs, counts.active, counts.supervisors) == (3, 3, 3)

    job = await Jobs.start_job(41)
    GenServer.cast(job, "increment")
    assert await GenServer.call(job, "value") == 42
    await Jobs.stop_job(job)
    assert not Process.alive(job)

    task = await TaskSupervisor.async_(
        "tasks", GenServer.call, await child_pid("catalog", Inventory), "all"
    )
    assert await Task.await_(task) == ["lamp"]

    await Supervisor.stop(app)
    assert [Process.whereis(n) for n in ("app", "catalog", "jobs", "tasks")] == [None] * 4


async def test_fan_out_with_tasks_and_collect_in_order():
    async def square(n):
        return n * n

    tasks = [Task.async_(square, n) for n in range(5)]
    assert await Task.await_many(tasks) == [0, 1, 4, 9, 16]
