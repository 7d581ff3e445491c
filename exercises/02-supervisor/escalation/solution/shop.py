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
    payments = Supervisor.child_spec(
        [service("gateway"), service("ledger")],  # ledger depends on gateway: start it after
        id="payments",
        name="payments",
        strategy="rest_for_one",
        max_restarts=2,
        max_seconds=5.0,
    )
    return await Supervisor.start_link(
        [service("catalog"), payments], strategy="one_for_one", name="shop"
    )
