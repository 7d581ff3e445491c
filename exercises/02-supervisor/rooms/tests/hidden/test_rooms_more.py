import otp
import pytest
import rooms


async def test_crashed_room_comes_back_under_its_name():
    await rooms.start()
    await rooms.open_room("lobby")
    before = rooms.pid_of("lobby")
    await rooms.crash("lobby")
    after = rooms.pid_of("lobby")
    assert (after != before, after != "None") == (True, True), "the supervisor restarts it"


async def test_close_is_final_after_an_earlier_crash():
    await rooms.start()
    await rooms.open_room("lobby")
    await rooms.crash("lobby")
    await rooms.close_room("lobby")
    assert await rooms.count() == 0, "a closed room is not restarted"


async def test_close_then_reopen_starts_a_fresh_room():
    await rooms.start()
    await rooms.open_room("lobby")
    await rooms.close_room("lobby")
    await rooms.open_room("lobby")
    assert await rooms.count() == 1


async def test_capacity_is_three_rooms():
    await rooms.start()
    for name in ("a", "b", "c"):
        await rooms.open_room(name)
    with pytest.raises(otp.MaxChildrenError):
        await rooms.open_room("d")


async def test_capacity_counts_a_room_opened_twice_once():
    await rooms.start()
    for name in ("a", "a", "b", "b", "c"):
        await rooms.open_room(name)
    assert await rooms.count() == 3, "reopening a running room does not use a slot"
