import shop


async def test_tree_has_catalog_and_a_payments_supervisor():
    top = await shop.start_shop()
    pids = shop.pids()
    assert repr(shop.otp.Process.whereis("shop")) == repr(top), (
        "start_shop returns the supervisor registered as 'shop'"
    )
    assert "None" not in pids.values(), "all five processes are running and registered"


async def test_gateway_crash_restarts_gateway_and_ledger_only():
    await shop.start_shop()
    before = shop.pids()
    await shop.crash("gateway")
    after = shop.pids()
    changed = sorted(name for name in before if before[name] != after[name])
    assert changed == ["gateway", "ledger"], "the ledger depends on the gateway; nothing else moves"
