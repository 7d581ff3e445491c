import otp
from otp import GenServer, NoReply, Ok, Reply

journal = []  # goodbye lines, appended by terminate


class Poller(GenServer):
    # --- client API -----------------------------------------------------------------
    @classmethod
    async def start_link(cls, interval, *, name=None):
        return await super().start_link(interval, name=name)

    @staticmethod
    async def ticks(server):
        return await GenServer.call(server, "ticks")

    @staticmethod
    def pause(server):
        GenServer.cast(server, "pause")

    @staticmethod
    def resume(server):
        GenServer.cast(server, "resume")

    # --- callbacks --------------------------------------------------------------------
    async def init(self, interval):
        # TODO: schedule the first tick, and keep its timer so pause can cancel it.
        return Ok({"interval": interval, "ticks": 0, "timer": None})

    async def handle_call(self, request, from_, state):
        match request:
            case "ticks":
                return Reply(state["ticks"], state)

    async def handle_cast(self, request, state):
        # TODO: "pause" and "resume"
        return NoReply(state)

    async def handle_info(self, message, state):
        # TODO: count a "tick" and schedule the next one
        return NoReply(state)

    # TODO: terminate
