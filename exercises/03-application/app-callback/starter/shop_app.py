import otp
from otp import GenServer, Ok, Reply, Supervisor
from otp.application import Application, AppSpec

journal = []

CURRENCY = Application.get_env("shop", "currency", "EUR")  # TODO: read at start, not import


class Inventory(GenServer):
    async def init(self, _):
        return Ok({"currency": CURRENCY})

    async def handle_call(self, request, from_, state):
        match request:
            case "currency":
                return Reply(state["currency"], state)


class Cart(GenServer):
    async def init(self, _):
        return Ok([])


class ShopApp(Application):
    async def start(self, start_type, args):
        # TODO: the supervision tree
        return await Supervisor.start_link([], name="shop.sup")

    # TODO: prep_stop and stop


SPEC = AppSpec("shop", mod=ShopApp)  # TODO: the default environment


# --- given ----------------------------------------------------------------------------------
async def start():
    await Application.start(SPEC)


async def stop():
    await Application.stop("shop")


async def currency():
    return await GenServer.call("inventory", "currency")


def take_journal():
    """The journal's lines so far, emptying it."""
    lines = list(journal)
    journal.clear()
    return lines


async def child_order():
    """The names of shop.sup's children's ids, in start order."""
    children = reversed(await Supervisor.which_children("shop.sup"))
    return [getattr(child.id, "__name__", child.id) for child in children]


def running():
    """Which of the shop's processes are registered right now."""
    return sorted(n for n in ("shop.sup", "inventory", "cart") if otp.Process.whereis(n))
