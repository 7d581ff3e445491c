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
    return await DynamicSupervisor.start_link(name="rooms", max_children=3)


async def open_room(name):
    running = otp.Process.whereis(name)
    if running is not None:
        return running
    return await DynamicSupervisor.start_child("rooms", room(name))


async def close_room(name):
    pid = otp.Process.whereis(name)
    if pid is not None:
        await DynamicSupervisor.terminate_child("rooms", pid)


async def count():
    return (await DynamicSupervisor.count_children("rooms")).active
