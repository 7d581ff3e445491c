from kv_store import KeyValueStore


async def test_get_missing_key_gives_the_default():
    store = await KeyValueStore.start_link()
    assert await KeyValueStore.get(store, "nope", 0) == 0, "get falls back to its default"


async def test_keys_are_sorted():
    store = await KeyValueStore.start_link()
    for key in ("b", "c", "a"):
        await KeyValueStore.put(store, key, key.upper())
    assert await KeyValueStore.keys(store) == ["a", "b", "c"], "keys come back sorted"


async def test_put_new_on_a_fresh_key_stores_it():
    store = await KeyValueStore.start_link()
    await KeyValueStore.put_new(store, ("tuple", 1), {"x": 1})
    assert await KeyValueStore.get(store, ("tuple", 1)) == {"x": 1}, "put_new stores new keys"


async def test_pop_missing_key_gives_the_default_and_changes_nothing():
    store = await KeyValueStore.start_link()
    await KeyValueStore.put(store, "kept", 1)
    assert await KeyValueStore.pop(store, "absent", "none") == "none", "pop falls back"
    assert await KeyValueStore.keys(store) == ["kept"], "popping an absent key keeps the rest"


async def test_delete_is_a_cast_that_removes_the_key():
    store = await KeyValueStore.start_link()
    await KeyValueStore.put(store, "gone", 1)
    await KeyValueStore.put(store, "stays", 2)
    assert KeyValueStore.delete(store, "gone") is None, "delete returns nothing"
    assert await KeyValueStore.keys(store) == ["stays"], "delete removes only its key"
