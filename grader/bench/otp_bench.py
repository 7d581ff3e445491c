"""``academy bench otp``: the runtime's figures next to a bare-asyncio floor and pykka.

Every figure is measured in one run, on the same machine, for three contenders:

- ``otp``: this runtime, as lessons use it (calls with the default 5 s timeout armed);
- ``floor``: the least plain asyncio can do for the same job (a Queue + Future request/reply
  without any timeout, bare ``create_task``, a bare task + Queue for memory);
- ``pykka``: the popular Python actor library (threads), where it has the feature.

Rates are the best of a few repetitions, interleaved, so a noisy neighbour hurts all contenders
alike. Targets come from issue 2 and are checked as ratios of figures from the same run.
"""

from __future__ import annotations

import asyncio
import gc
import threading
import time
import tracemalloc
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from otp import GenServer, NoReply, Ok, Process, Reply, receive, self, send, spawn

__all__ = ["Figure", "Sizes", "run"]


@dataclass(frozen=True)
class Sizes:
    """How much work each figure does; ``quick()`` is for tests and smoke runs."""

    calls: int = 50_000
    concurrent_clients: int = 100
    concurrent_calls: int = 100_000
    casts: int = 200_000
    spawns: int = 100_000
    idle_servers: int = 100_000
    restarts: int = 1_000
    pykka_calls: int = 10_000
    pykka_actors: int = 1_000
    # Short runs, many times: on a busy machine the best run is the one least disturbed.
    repeats: int = 5

    @classmethod
    def quick(cls) -> Sizes:
        return cls(
            calls=2_000,
            concurrent_clients=10,
            concurrent_calls=2_000,
            casts=2_000,
            spawns=2_000,
            idle_servers=2_000,
            restarts=20,
            pykka_calls=200,
            pykka_actors=20,
            repeats=1,
        )


@dataclass
class Target:
    """One pass/fail criterion: ``measure`` compared with ``limit`` (a ratio or an absolute)."""

    description: str
    measure: str  # "otp/floor", "otp/pykka" or "otp"
    limit: float
    at_most: bool = False
    value: float | None = None
    passed: bool | None = None


@dataclass
class Figure:
    name: str
    unit: str
    higher_is_better: bool
    otp: float | None = None
    floor: float | None = None
    pykka: float | None = None
    note: str = ""
    targets: list[Target] = field(default_factory=list)

    def ratio(self, other: float | None) -> float | None:
        if self.otp is None or not other:
            return None
        return self.otp / other

    def judge(self) -> None:
        for target in self.targets:
            if target.measure == "otp/floor":
                target.value = self.ratio(self.floor)
            elif target.measure == "otp/pykka":
                target.value = self.ratio(self.pykka)
            else:
                target.value = self.otp
            if target.value is None:
                target.passed = None
            elif target.at_most:
                target.passed = target.value <= target.limit
            else:
                target.passed = target.value >= target.limit

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["otp_vs_floor"] = self.ratio(self.floor)
        data["otp_vs_pykka"] = self.ratio(self.pykka)
        return data


# ---------------------------------------------------------------------------------------------
# The contenders' servers


class _Echo(GenServer):
    async def handle_call(self, request: Any, from_: Any, state: Any) -> Reply:
        return Reply(request, state)

    async def handle_cast(self, request: Any, state: int) -> NoReply:
        return NoReply(state + 1)


class _Idle(GenServer):
    async def init(self, arg: Any) -> Ok:
        return Ok(arg)


async def _floor_server(queue: asyncio.Queue[Any]) -> None:
    while True:
        request, future = await queue.get()
        if future is not None:
            future.set_result(request)


def _pykka_echo() -> Any:
    import pykka

    class Echo(pykka.ThreadingActor):
        def __init__(self) -> None:
            super().__init__()
            self.count = 0

        def on_receive(self, message: Any) -> Any:
            if message == "cast":
                self.count += 1
                return None
            return message

    return Echo


def _best(measure: Callable[[], float], repeats: int) -> float:
    return max(measure() for _ in range(repeats))


# ---------------------------------------------------------------------------------------------
# Call round trips


async def _otp_calls(calls: int, clients: int) -> float:
    server = await _Echo.start(0)
    test = self()
    per_client = calls // clients

    async def client() -> None:
        call = GenServer.call
        for i in range(per_client):
            await call(server, i, 5.0)
        send(test, "done")

    started = time.perf_counter()
    for _ in range(clients):
        spawn(client)
    for _ in range(clients):
        await receive(lambda m: m == "done")
    elapsed = time.perf_counter() - started
    await GenServer.stop(server)
    return per_client * clients / elapsed


async def _floor_calls(calls: int, clients: int) -> float:
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[Any] = asyncio.Queue()
    server = loop.create_task(_floor_server(queue))
    per_client = calls // clients

    async def client() -> None:
        for i in range(per_client):
            future = loop.create_future()
            queue.put_nowait((i, future))
            await future

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    elapsed = time.perf_counter() - started
    server.cancel()
    return per_client * clients / elapsed


def _pykka_calls(calls: int, clients: int) -> float:
    actor = _pykka_echo().start()
    per_client = max(1, calls // clients)

    def client() -> None:
        for i in range(per_client):
            actor.ask(i)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    actor.stop()
    return per_client * clients / elapsed


def _call_figure(sizes: Sizes, clients: int, total: int) -> Figure:
    label = "1 client" if clients == 1 else f"{clients} concurrent clients"
    figure = Figure(
        f"GenServer.call round trips, {label}",
        "calls/s",
        higher_is_better=True,
        note="otp arms the default 5 s call timeout; the floor has no timeout",
    )
    pykka_calls = sizes.pykka_calls if clients == 1 else sizes.pykka_calls * 2
    otp_rates, floor_rates, pykka_rates = [], [], []
    for _ in range(sizes.repeats):  # interleaved so drift hits every contender alike
        otp_rates.append(asyncio.run(_otp_calls(total, clients)))
        floor_rates.append(asyncio.run(_floor_calls(total, clients)))
        pykka_rates.append(_pykka_calls(pykka_calls, clients))
    figure.otp, figure.floor, figure.pykka = max(otp_rates), max(floor_rates), max(pykka_rates)
    floor_limit = 0.6 if clients == 1 else 0.5
    figure.targets = [
        Target(f"otp >= {floor_limit}x floor", "otp/floor", floor_limit),
        Target("otp >= 3x pykka", "otp/pykka", 3.0),
    ]
    return figure


# ---------------------------------------------------------------------------------------------
# Casts


async def _otp_casts(casts: int) -> float:
    server = await _Echo.start(0)
    cast = GenServer.cast
    started = time.perf_counter()
    for _ in range(casts):
        cast(server, 1)
    await GenServer.call(server, "sync")  # handled after every cast
    elapsed = time.perf_counter() - started
    await GenServer.stop(server)
    return casts / elapsed


async def _floor_casts(casts: int) -> float:
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[Any] = asyncio.Queue()
    server = loop.create_task(_floor_server(queue))
    started = time.perf_counter()
    for i in range(casts):
        queue.put_nowait((i, None))
    future = loop.create_future()
    queue.put_nowait(("sync", future))
    await future
    elapsed = time.perf_counter() - started
    server.cancel()
    return casts / elapsed


def _pykka_casts(casts: int) -> float:
    actor = _pykka_echo().start()
    started = time.perf_counter()
    for _ in range(casts):
        actor.tell("cast")
    actor.ask("sync")
    elapsed = time.perf_counter() - started
    actor.stop()
    return casts / elapsed


def _cast_figure(sizes: Sizes) -> Figure:
    figure = Figure("GenServer.cast throughput (until handled)", "casts/s", higher_is_better=True)
    figure.otp = _best(lambda: asyncio.run(_otp_casts(sizes.casts)), sizes.repeats)
    figure.floor = _best(lambda: asyncio.run(_floor_casts(sizes.casts)), sizes.repeats)
    figure.pykka = _best(lambda: _pykka_casts(sizes.pykka_calls * 5), sizes.repeats)
    return figure


# ---------------------------------------------------------------------------------------------
# Spawn and exit


def _countdown(count: int) -> tuple[asyncio.Future[None], Callable[[], Awaitable[None]]]:
    """A body to run ``count`` times and the future its last run resolves.

    Both spawn figures run this same body, so they differ only in how they start it.
    """
    finished: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    left = [count]

    async def body() -> None:
        left[0] -= 1
        if left[0] == 0:
            finished.set_result(None)

    return finished, body


async def _otp_spawns(count: int) -> float:
    finished, body = _countdown(count)
    started = time.perf_counter()
    for _ in range(count):
        spawn(body)
    await finished
    await asyncio.sleep(0)  # the last process finishes exiting in this turn
    elapsed = time.perf_counter() - started
    assert not Process.list(), "every process has exited"
    return count / elapsed


async def _floor_spawns(count: int) -> float:
    loop = asyncio.get_running_loop()
    finished, body = _countdown(count)
    started = time.perf_counter()
    tasks = [loop.create_task(body()) for _ in range(count)]  # otp keeps a table too
    await finished
    await asyncio.sleep(0)
    elapsed = time.perf_counter() - started
    assert all(task.done() for task in tasks)
    return count / elapsed


def _pykka_spawns(count: int) -> float:
    actor_class = _pykka_echo()
    started = time.perf_counter()
    refs = [actor_class.start() for _ in range(count)]
    for ref in refs:
        ref.stop()
    return count / (time.perf_counter() - started)


def _spawn_figure(sizes: Sizes) -> Figure:
    figure = Figure(
        f"spawn + exit of {sizes.spawns:,} processes",
        "processes/s",
        higher_is_better=True,
        note=f"pykka starts and stops {sizes.pykka_actors:,} thread actors",
    )
    for _ in range(sizes.repeats):
        figure.otp = max(figure.otp or 0.0, asyncio.run(_otp_spawns(sizes.spawns)))
        figure.floor = max(figure.floor or 0.0, asyncio.run(_floor_spawns(sizes.spawns)))
    figure.pykka = _pykka_spawns(sizes.pykka_actors)
    figure.targets = [Target("otp >= 0.5x floor", "otp/floor", 0.5)]
    return figure


# ---------------------------------------------------------------------------------------------
# Memory per idle server


async def _otp_idle_bytes(count: int) -> float:
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    pids = [await _Idle.start(i) for i in range(count)]
    gc.collect()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    for pid in pids:
        Process.exit(pid, "kill")
    await asyncio.sleep(0)
    return (after - before) / count


async def _floor_idle_bytes(count: int) -> float:
    loop = asyncio.get_running_loop()
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    queues = [asyncio.Queue() for _ in range(count)]
    tasks = [loop.create_task(_floor_server(queue)) for queue in queues]
    await asyncio.sleep(0)  # every task is now parked in queue.get()
    gc.collect()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    for task in tasks:
        task.cancel()
    await asyncio.sleep(0)
    return (after - before) / count


def _pykka_idle_bytes(count: int) -> float:
    actor_class = _pykka_echo()
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    refs = [actor_class.start() for _ in range(count)]
    gc.collect()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    for ref in refs:
        ref.stop()
    return (after - before) / count


def _memory_figure(sizes: Sizes) -> Figure:
    figure = Figure(
        f"memory per idle GenServer ({sizes.idle_servers:,} of them)",
        "bytes",
        higher_is_better=False,
        note="tracemalloc; the floor is a bare task parked on an asyncio.Queue; pykka's "
        "thread stacks are not counted",
    )
    figure.otp = asyncio.run(_otp_idle_bytes(sizes.idle_servers))
    figure.floor = asyncio.run(_floor_idle_bytes(sizes.idle_servers))
    figure.pykka = _pykka_idle_bytes(sizes.pykka_actors)
    figure.targets = [Target("otp <= 6 KB", "otp", 6 * 1024, at_most=True)]
    return figure


# ---------------------------------------------------------------------------------------------
# Restart latency


async def _floor_restart_latency(restarts: int) -> float:
    """A bare task restarted by a done-callback when it is cancelled: no supervision logic."""
    loop = asyncio.get_running_loop()
    started_event: list[asyncio.Future[asyncio.Task[Any]]] = [loop.create_future()]

    async def worker() -> None:
        started_event[0].set_result(asyncio.current_task())  # type: ignore[arg-type]
        await asyncio.Event().wait()

    def restart(_task: asyncio.Task[Any]) -> None:
        loop.create_task(worker()).add_done_callback(restart)

    loop.create_task(worker()).add_done_callback(restart)
    task = await started_event[0]
    total = 0.0
    for _ in range(restarts):
        started_event[0] = loop.create_future()
        started = time.perf_counter()
        task.cancel()
        task = await started_event[0]
        total += time.perf_counter() - started
    task.remove_done_callback(restart)
    task.cancel()
    return total / restarts


def _restart_figure(sizes: Sizes) -> Figure:
    from otp._supervision_bench import measure_restart_latency

    figure = Figure(
        "supervisor restart latency (kill -> replacement's init done)",
        "µs",
        higher_is_better=False,
    )
    latency = asyncio.run(measure_restart_latency(sizes.restarts))
    figure.otp = latency.mean * 1e6
    figure.floor = asyncio.run(_floor_restart_latency(sizes.restarts)) * 1e6
    figure.note = (
        f"otp.Supervisor one_for_one, mean of {latency.samples:,} (median "
        f"{latency.median * 1e6:.0f} µs, p99 {latency.p99 * 1e6:.0f} µs), crash reports muted; "
        "floor: a bare task re-created by a done-callback; pykka has no supervisors"
    )
    return figure


# ---------------------------------------------------------------------------------------------


def run(
    sizes: Sizes | None = None, progress: Callable[[Figure], None] | None = None
) -> list[Figure]:
    """Measure every figure; ``progress`` sees each one as soon as it is done."""
    sizes = sizes or Sizes()
    steps: list[Callable[[], Figure]] = [
        lambda: _call_figure(sizes, 1, sizes.calls),
        lambda: _call_figure(sizes, sizes.concurrent_clients, sizes.concurrent_calls),
        lambda: _cast_figure(sizes),
        lambda: _spawn_figure(sizes),
        lambda: _memory_figure(sizes),
        lambda: _restart_figure(sizes),
    ]
    figures = []
    for step in steps:
        figure = step()
        figure.judge()
        figures.append(figure)
        if progress is not None:
            progress(figure)
    return figures


def format_figure(figure: Figure) -> str:
    """One line: the three contenders side by side, the ratios, and the verdicts."""

    def number(value: float | None) -> str:
        if value is None:
            return "n/a"
        return f"{value:,.0f}" if value >= 100 else f"{value:,.2f}"

    def ratio(value: float | None) -> str:
        return "n/a" if value is None else f"{value:.2f}x"

    verdicts = []
    for target in figure.targets:
        mark = {True: "PASS", False: "FAIL", None: "n/a"}[target.passed]
        verdicts.append(f"{mark} ({target.description})")
    return (
        f"{figure.name}: otp {number(figure.otp)} | floor {number(figure.floor)} | "
        f"pykka {number(figure.pykka)} {figure.unit}; "
        f"otp/floor {ratio(figure.ratio(figure.floor))}, "
        f"otp/pykka {ratio(figure.ratio(figure.pykka))}"
        + (f"; {'; '.join(verdicts)}" if verdicts else "")
        + (f"  [{figure.note}]" if figure.note else "")
    )


def all_passed(figures: list[Figure]) -> bool:
    return all(t.passed is not False for f in figures for t in f.targets)
