"""Random register / unregister / exit sequences against a model of Elixir's Registry.

After every step, for both key kinds: ``lookup`` of every key, ``keys`` of every process and
``count`` agree with the model, a unique key is never held twice, and a process that exited
holds nothing.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from otp import AlreadyRegisteredError, Pid, Process, receive, self, send, spawn
from otp.registry import Registry

N_PROCS = 4
KEYS = ("a", "b", "c")

steps = st.lists(
    st.one_of(
        st.tuples(st.just("register"), st.integers(0, N_PROCS - 1), st.sampled_from(KEYS),
                  st.integers(0, 9)),
        st.tuples(st.just("unregister"), st.integers(0, N_PROCS - 1), st.sampled_from(KEYS)),
        st.tuples(st.just("exit"), st.integers(0, N_PROCS - 1),
                  st.sampled_from(("normal", "kill", "crash"))),
    ),
    max_size=30,
)


async def worker() -> None:
    """Runs registry commands for the test, in its own process, and answers each."""
    while True:
        match await receive():
            case (caller, ("register", registry, key, value)):
                try:
                    Registry.register(registry, key, value)
                    send(caller, "ok")
                except AlreadyRegisteredError as taken:
                    send(caller, ("taken", taken.pid))
            case (caller, ("unregister", registry, key)):
                Registry.unregister(registry, key)
                send(caller, "ok")
            case (_, ("exit", "normal")):
                return
            case (_, ("exit", "crash")):
                raise RuntimeError("crash requested by the test")


async def command(pid: Pid, request: tuple[Any, ...]) -> Any:
    send(pid, (self(), request))
    return await receive(timeout=2)


async def scenario(keys: str, ops: list[tuple[Any, ...]]) -> None:
    registry = await Registry.start_link(keys=keys, name="prop")  # type: ignore[arg-type]
    procs = [spawn(worker) for _ in range(N_PROCS)]
    model: dict[str, list[tuple[Pid, int]]] = {k: [] for k in KEYS}
    for op in ops:
        pid = procs[op[1]]
        alive = Process.alive(pid)
        match op:
            case ("register", _, key, value) if alive:
                answer = await command(pid, ("register", "prop", key, value))
                if keys == "unique" and model[key]:
                    assert answer == ("taken", model[key][0][0])
                else:
                    assert answer == "ok"
                    model[key].append((pid, value))
            case ("unregister", _, key) if alive:
                assert await command(pid, ("unregister", "prop", key)) == "ok"
                model[key] = [e for e in model[key] if e[0] is not pid]
            case ("exit", _, how) if alive:
                ref = Process.monitor(pid)
                if how == "kill":
                    Process.exit(pid, "kill")
                else:
                    send(pid, (self(), ("exit", how)))
                await receive(lambda m, ref=ref: getattr(m, "ref", None) is ref, timeout=2)
                for key in KEYS:
                    model[key] = [e for e in model[key] if e[0] is not pid]
        for key in KEYS:
            assert Counter(Registry.lookup("prop", key)) == Counter(model[key])
            if keys == "unique":
                assert len(Registry.lookup("prop", key)) <= 1
        for p in procs:
            expected = Counter(k for k in KEYS for e in model[k] if e[0] is p)
            assert Counter(Registry.keys("prop", p)) == expected
        assert Registry.count("prop") == sum(len(v) for v in model.values())
    for p in procs:
        Process.exit(p, "kill")
    Process.exit(registry, "kill")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(keys=st.sampled_from(("unique", "duplicate")), ops=steps)
def test_registry_agrees_with_the_model_under_random_registrations_and_exits(
    keys: str, ops: list[tuple[Any, ...]]
) -> None:
    asyncio.run(scenario(keys, ops))
