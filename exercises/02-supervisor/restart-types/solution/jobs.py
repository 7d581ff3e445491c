import otp  # the tests reach the runtime through this name
from otp import GenServer, Ok, Reply, Stop, Supervisor


# --- given ----------------------------------------------------------------------------------
class Job(GenServer):
    async def init(self, name):
        return Ok(name)

    async def handle_call(self, request, from_, name):
        match request:
            case "finish":
                return Stop("normal", name, reply="done")
            case "fail":
                raise RuntimeError(f"{name} failed")
        return Reply(name, name)


def job(name, restart="permanent"):
    """A child spec for a Job registered under `name`, with the given restart type."""
    return Job.child_spec(name, name=name, id=name, restart=restart)


async def start_jobs():
    return await Supervisor.start_link(children(), strategy="one_for_one", name="jobs")


async def _settle():
    await Supervisor.count_children("jobs")  # queues behind any exit signal already sent


async def finish(name):
    """Tell `name` to finish normally; return once it has exited and the supervisor reacted."""
    ref = otp.Process.monitor(otp.Process.whereis(name))
    await GenServer.call(name, "finish")
    await otp.receive(lambda m: isinstance(m, otp.Down) and m.ref == ref, timeout=1.0)
    await _settle()


async def fail(name):
    """Make `name` crash; return once the supervisor has reacted."""
    try:
        await GenServer.call(name, "fail")
    except otp.ExitError:
        pass
    await _settle()


async def status():
    """{child id: "running" | "stopped"} for every child the supervisor still knows."""
    children = await Supervisor.which_children("jobs")
    return {c.id: ("running" if c.pid is not None else "stopped") for c in children}


# --- your part ------------------------------------------------------------------------------
def children():
    return [
        job("heartbeat", restart="permanent"),  # whatever happens, bring it back
        job("importer", restart="transient"),  # retry crashes; a normal finish is final
        job("report", restart="temporary"),  # once, then forgotten
    ]
