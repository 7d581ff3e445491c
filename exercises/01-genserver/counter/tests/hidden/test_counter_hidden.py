import asyncio

import counter
import pytest


@pytest.mark.parametrize("initial, by, expected", [(10, 3, 7), (1, 1, 0), (0, 4, 0)])
async def test_decrement_by_amounts(initial, by, expected):
    """decrement(server, by) subtracts `by` and never goes below zero"""
    pid = await counter.Counter.start_link(initial)
    assert await counter.Counter.decrement(pid, by) == expected
    assert await counter.Counter.value(pid) == expected, "value agrees with what decrement returned"


async def test_value_does_not_change_the_count():
    pid = await counter.Counter.start_link(4)
    await counter.Counter.value(pid)
    assert await counter.Counter.value(pid) == 4, "value must not change the count"


async def test_reset_after_decrement_to_zero():
    pid = await counter.Counter.start_link(3)
    await counter.Counter.decrement(pid, 10)
    counter.Counter.reset(pid)
    assert await counter.Counter.value(pid) == 3, "reset restores the initial value, not zero"


async def test_concurrent_increments_all_count():
    """every one of many concurrent increments counts"""
    pid = await counter.Counter.start_link()
    await asyncio.gather(*(counter.Counter.increment(pid) for _ in range(50)))
    assert await counter.Counter.value(pid) == 50, "50 concurrent increments give 50"
