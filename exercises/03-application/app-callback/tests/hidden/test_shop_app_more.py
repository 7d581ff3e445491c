import otp
import pytest
import shop_app


def fresh_config():
    shop_app.Application.delete_env("shop", "currency")


async def test_start_twice_is_refused():
    fresh_config()
    await shop_app.start()
    with pytest.raises(otp.OTPError):
        await shop_app.start()


async def test_start_orders_inventory_before_cart():
    fresh_config()
    await shop_app.start()
    assert await shop_app.child_order() == ["Inventory", "Cart"], "Inventory starts first"


async def test_currency_defaults_to_euro():
    fresh_config()
    await shop_app.start()
    assert await shop_app.currency() == "EUR", "the spec's default environment says EUR"


async def test_stop_leaves_no_process_behind():
    fresh_config()
    await shop_app.start()
    await shop_app.stop()
    assert shop_app.running() == [], "stopping the application stops its whole tree"
