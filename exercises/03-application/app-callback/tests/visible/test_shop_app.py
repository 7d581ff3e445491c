import shop_app


def fresh_config():
    shop_app.Application.delete_env("shop", "currency")


async def test_start_runs_the_supervisor_and_both_children():
    fresh_config()
    await shop_app.start()
    assert shop_app.running() == ["cart", "inventory", "shop.sup"]


async def test_currency_put_before_start_is_used():
    fresh_config()
    shop_app.Application.put_env("shop", "currency", "USD")
    await shop_app.start()
    assert await shop_app.currency() == "USD", "read the currency when Inventory starts"


async def test_stop_runs_prep_stop_then_stop():
    fresh_config()
    await shop_app.start()
    shop_app.take_journal()
    await shop_app.stop()
    assert shop_app.take_journal() == ["prep_stop", "stop"]
