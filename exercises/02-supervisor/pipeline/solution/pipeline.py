import otp  # the tests reach the runtime through this name
from otp import GenServer, Ok, Reply, Supervisor


# --- given: a service that can be told to crash, and helpers the tests use -----------------
class Service(GenServer):
    async def init(self, name):
        return Ok(name)

    async def handle_call(self, request, from_, name):
        if request == "crash":
            raise RuntimeError(f"{name} crashed")
        return Reply(name, name)


def service(name):
    """A child spec for a Service registered under `name` (its id is `name` too)."""
    return Service.child_spec(name, name=name, id=name)


async def crash(name):
    """Crash the service `name`, and return once the supervisor has reacted."""
    try:
        await GenServer.call(name, "crash")
    except otp.ExitError:
        pass
    await Supervisor.count_children("pipeline")  # queues behind the exit signal


def pids():
    """Each service's current pid, as text ('None' when not running)."""
    return {name: repr(otp.Process.whereis(name)) for name in ("config", "db", "api")}


async def order():
    """The children's ids in start order."""
    return [child.id for child in reversed(await Supervisor.which_children("pipeline"))]


# --- your part ------------------------------------------------------------------------------
async def start_pipeline():
    # db needs config and api needs db: start them in that order, and restart a crashed
    # service together with everything started after it.
    children = [service("config"), service("db"), service("api")]
    return await Supervisor.start_link(children, strategy="rest_for_one", name="pipeline")
