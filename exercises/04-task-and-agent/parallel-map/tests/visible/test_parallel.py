import parallel


async def test_results_come_back_in_input_order():
    assert await parallel.parallel_map(parallel.slow_square, [1, 2, 3, 4]) == [1, 4, 9, 16]


async def test_runs_every_call_at_the_same_time():
    parallel.peak()
    await parallel.parallel_map(parallel.slow_square, [1, 2, 3, 4, 5])
    assert parallel.peak() == 5, "all five calls should be running at once"
