import otp
import parallel
import pytest


async def test_empty_input_gives_an_empty_list():
    assert await parallel.parallel_map(parallel.slow_square, []) == []


async def test_results_keep_order_when_later_items_finish_first():
    items = [9, 8, 7, 6, 5, 4, 3, 2, 1]
    assert await parallel.parallel_map(parallel.slow_square, items) == [n * n for n in items]


async def test_runs_twenty_calls_at_once():
    parallel.peak()
    await parallel.parallel_map(parallel.slow_square, list(range(20)))
    assert parallel.peak() == 20, "twenty items, twenty concurrent calls"


async def test_timeout_applies_to_the_whole_batch():
    with pytest.raises(otp.CallTimeoutError):
        await parallel.parallel_map(parallel.stuck, [1, 2], timeout=0.2)
