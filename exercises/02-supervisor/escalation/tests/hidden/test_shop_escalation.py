import shop


async def test_tree_payments_is_a_supervisor_child_of_shop():
    await shop.start_shop()
    counts = await shop.otp.Supervisor.count_children("shop")
    assert (counts.workers, counts.supervisors) == (1, 1), "shop has one worker and one supervisor"


async def test_ledger_crash_restarts_only_the_ledger():
    await shop.start_shop()
    before = shop.pids()
    await shop.crash("ledger")
    after = shop.pids()
    changed = sorted(name for name in before if before[name] != after[name])
    assert changed == ["ledger"], "nothing depends on the ledger"


async def test_repeated_gateway_crashes_are_absorbed_twice():
    await shop.start_shop()
    before = shop.pids()
    await shop.crash("gateway")
    await shop.crash("gateway")
    after = shop.pids()
    assert after["payments"] == before["payments"], "two restarts are within payments' limit"


async def test_repeated_gateway_crashes_escalate_on_the_third():
    await shop.start_shop()
    before = shop.pids()
    for _ in range(3):
        await shop.crash("gateway")
    after = shop.pids()
    changed = sorted(name for name in before if before[name] != after[name])
    assert changed == ["gateway", "ledger", "payments"], (
        "the third restart within five seconds makes payments give up; shop restarts the branch"
    )
