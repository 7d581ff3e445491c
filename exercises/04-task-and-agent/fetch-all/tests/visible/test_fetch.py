import fetch


async def test_all_answers_are_collected():
    await fetch.start()
    got = await fetch.fetch_all({"a": fetch.quick, "b": fetch.slow_but_fine}, timeout=1.0)
    assert got == {"a": ("ok", 10), "b": ("ok", 20)}


async def test_crashing_source_is_reported_and_does_not_crash_the_caller():
    await fetch.start()
    got = await fetch.fetch_all({"a": fetch.quick, "bad": fetch.broken}, timeout=1.0)
    assert got == {"a": ("ok", 10), "bad": ("error", "crashed")}
