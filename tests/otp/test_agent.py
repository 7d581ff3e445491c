"""Agent: each test is one behaviour of otp-semantics.md's Agent section."""

from __future__ import annotations

import pytest
from otp import Agent, Down, ExitError, Process, receive, self, spawn_monitor

pytestmark = pytest.mark.usefixtures("no_leaks")


async def test_get_update_get_and_update_and_cast_read_and_change_the_state():
    agent = await Agent.start(lambda: [])
    await Agent.update(agent, lambda items: [*items, "a"])
    Agent.cast(agent, lambda items: [*items, "b"])
    assert await Agent.get(agent, len) == 2
    assert await Agent.get_and_update(agent, lambda items: (items[0], items[1:])) == "a"
    assert await Agent.get(agent, lambda items: items) == ["b"]
    await Agent.stop(agent)


async def test_get_and_update_returns_only_the_first_element_of_the_pair():
    agent = await Agent.start(lambda: 1)
    returned = await Agent.get_and_update(agent, lambda n: (n, n + 1))
    assert returned == 1  # not (1, 2): unpacking it as `old, new = ...` would fail
    with pytest.raises(TypeError):
        _old, _new = returned
    assert await Agent.get(agent, lambda n: n) == 2
    await Agent.stop(agent)


async def test_the_function_runs_inside_the_agent_process():
    agent = await Agent.start(lambda: None)
    assert await Agent.get(agent, lambda _: self()) is agent
    await Agent.update(agent, lambda _: self())
    assert await Agent.get(agent, lambda state: state) is agent
    await Agent.stop(agent)


async def test_async_functions_are_awaited_inside_the_agent():
    async def initial():
        return {"count": 0}

    async def bump(state):
        return {"count": state["count"] + 1}

    agent = await Agent.start(initial)
    await Agent.update(agent, bump)
    assert await Agent.get(agent, lambda state: state["count"]) == 1
    await Agent.stop(agent)


async def test_a_raise_in_get_crashes_the_agent_and_makes_the_caller_exit():
    agent = await Agent.start(lambda: {})
    ref = Process.monitor(agent)
    with pytest.raises(ExitError) as raised:
        await Agent.get(agent, lambda state: state["missing"])
    assert isinstance(raised.value.reason, KeyError)
    down = await receive(lambda m: type(m) is Down and m.ref is ref, timeout=2.0)
    assert down.reason is raised.value.reason


async def test_start_link_links_the_agent_to_its_caller_and_names_work():
    async def owner():
        await Agent.start_link(lambda: 0, name="counter")
        await Agent.update("counter", lambda n: n + 1)
        raise RuntimeError("owner crashed")

    _, ref = spawn_monitor(owner)
    await receive(lambda m: type(m) is Down and m.ref is ref, timeout=2.0)
    assert Process.whereis("counter") is None  # the linked agent died with its owner
