import time

import fetch


async def test_slow_source_is_reported_as_timeout():
    await fetch.start()
    got = await fetch.fetch_all({"a": fetch.quick, "stuck": fetch.hanging}, timeout=0.3)
    assert got == {"a": ("ok", 10), "stuck": ("error", "timeout")}


async def test_slow_sources_share_one_deadline():
    await fetch.start()
    started = time.monotonic()
    await fetch.fetch_all({name: fetch.hanging for name in "uvwxyz"}, 0.3)
    assert time.monotonic() - started < 1.2, "the timeout is for all sources together"


async def test_all_sources_run_concurrently():
    await fetch.start()
    fetch.peak()
    sources = {f"s{i}": fetch.slow_but_fine for i in range(8)}
    got = await fetch.fetch_all(sources, timeout=2.0)
    assert set(got.values()) == {("ok", 20)}
    assert fetch.peak() == 8, "all eight sources are asked at the same time"


async def test_no_task_is_left_running():
    await fetch.start()
    await fetch.fetch_all({"stuck": fetch.hanging, "bad": fetch.broken}, timeout=0.2)
    assert await fetch.running() == 0, "stop the tasks that did not answer in time"
