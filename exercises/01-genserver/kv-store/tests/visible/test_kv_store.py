from kv_store import KeyValueStore


async def test_put_then_get_returns_the_value():
    store = await KeyValueStore.start_link()
    assert await KeyValueStore.put(store, "name", "Alice") == "ok"
    assert await KeyValueStore.get(store, "name") == "Alice"


async def test_put_new_does_not_overwrite():
    store = await KeyValueStore.start_link()
    assert await KeyValueStore.put_new(store, "k", 1) is True
    assert await KeyValueStore.put_new(store, "k", 2) is False
    assert await KeyValueStore.get(store, "k") == 1


async def test_pop_returns_and_removes():
    store = await KeyValueStore.start_link()
    await KeyValueStore.put(store, "k", [1, 2])
    assert await KeyValueStore.pop(store, "k") == [1, 2]
    assert await KeyValueStore.keys(store) == []
