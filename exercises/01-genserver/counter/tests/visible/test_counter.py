import counter


async def test_starts_at_the_initial_value():
    pid = await counter.Counter.start_link(3)
    assert await counter.Counter.value(pid) == 3


async def test_increment_returns_the_new_value():
    pid = await counter.Counter.start_link()
    assert await counter.Counter.increment(pid) == 1
    assert await counter.Counter.increment(pid, 4) == 5


async def test_decrement_stops_at_zero():
    pid = await counter.Counter.start_link(2)
    assert await counter.Counter.decrement(pid, 5) == 0


async def test_reset_goes_back_to_the_initial_value():
    pid = await counter.Counter.start_link(7)
    await counter.Counter.increment(pid, 3)
    assert counter.Counter.reset(pid) is None
    assert await counter.Counter.value(pid) == 7
