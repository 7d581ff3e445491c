import otp  # the tests reach the runtime through this name
from otp import GenServer, Ok, Reply, Supervisor

NAMES = ("shop", "catalog", "payments", "gateway", "ledger")


# --- given ----------------------------------------------------------------------------------
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
    """Crash the service `name`; return once the supervisors above it have reacted."""
    payments = otp.Process.whereis("payments")
    try:
        await GenServer.call(name, "crash")
    except otp.ExitError:
        pass
    for sup in (payments, "shop"):  # inner first: its exit (if any) then reaches shop
        try:
            await Supervisor.count_children(sup)
        except otp.ExitError:
            pass


def pids():
    """Every process's current pid, as text ('None' when not running)."""
    return {name: repr(otp.Process.whereis(name)) for name in NAMES}


# --- your part ------------------------------------------------------------------------------
async def start_shop():
    # TODO: build the payments branch as a child supervisor, with its own strategy and
    # restart intensity, and put it under shop next to catalog.
    children = [service("catalog"), service("gateway"), service("ledger")]
    return await Supervisor.start_link(children, strategy="one_for_one", name="shop")
