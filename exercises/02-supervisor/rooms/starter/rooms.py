import otp
from otp import DynamicSupervisor, GenServer, Ok, Reply


# --- given ----------------------------------------------------------------------------------
class Room(GenServer):
    async def init(self, name):
        return Ok({"name": name, "members": []})

    async def handle_call(self, request, from_, room):
        match request:
            case ("join", who):
                room = {**room, "members": [*room["members"], who]}
                return Reply(room["members"], room)
            case "crash":
                raise RuntimeError(f"room {room['name']} crashed")


def room(name):
    """A child spec for the Room `name`, registered under that name."""
    return Room.child_spec(name, name=name)


async def crash(name):
    try:
        await GenServer.call(name, "crash")
    except otp.ExitError:
        pass
    await DynamicSupervisor.count_children("rooms")  # queues behind the exit signal


def pid_of(name):
    return repr(otp.Process.whereis(name))


# --- your part ------------------------------------------------------------------------------
async def start():
    # TODO: a dynamic supervisor for at most three rooms
    return await DynamicSupervisor.start_link(name="rooms")


async def open_room(name):
    # TODO: start the room only if it is not running yet
    return await DynamicSupervisor.start_child("rooms", room(name))


async def close_room(name):
    # TODO
    return None


async def count():
    return (await DynamicSupervisor.count_children("rooms")).active
