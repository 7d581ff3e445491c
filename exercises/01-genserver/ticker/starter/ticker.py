
from otp import GenServer, NoReply, Ok, Reply


class Ticker(GenServer):
    # --- client API -----------------------------------------------------------------
    @classmethod
    async def start_link(cls, every):
        return await super().start_link(every)

    @staticmethod
    async def ticks(server):
        return await GenServer.call(server, "ticks")

    @staticmethod
    async def slow_job(server, seconds, timeout=5.0):  # noqa: ASYNC109 - otp call timeout
        ...  # TODO: a call with a deadline

    # --- callbacks --------------------------------------------------------------------
    async def init(self, every):
        # TODO: schedule the first tick
        return Ok({"every": every, "ticks": 0})

    async def handle_call(self, request, from_, state):
        match request:
            case "ticks":
                return Reply(state["ticks"], state)

    async def handle_info(self, message, state):
        return NoReply(state)
