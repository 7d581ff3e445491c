import rooms


async def test_open_two_rooms_runs_two_processes():
    await rooms.start()
    await rooms.open_room("lobby")
    await rooms.open_room("games")
    assert await rooms.count() == 2


async def test_open_the_same_room_twice_gives_the_same_process():
    await rooms.start()
    first = repr(await rooms.open_room("lobby"))
    second = repr(await rooms.open_room("lobby"))
    assert (second == first, await rooms.count()) == (True, 1), "one lobby, opened twice"


async def test_close_a_room_stops_it():
    await rooms.start()
    await rooms.open_room("lobby")
    await rooms.close_room("lobby")
    assert (rooms.pid_of("lobby"), await rooms.count()) == ("None", 0)
