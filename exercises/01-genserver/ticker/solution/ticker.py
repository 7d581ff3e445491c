import asyncio

import otp
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
        return await GenServer.call(server, ("slow_job", seconds), timeout=timeout)

    # --- callbacks --------------------------------------------------------------------
    async def init(self, every):
        otp.Process.send_after(otp.self(), "tick", every)
        return Ok({"every": every, "ticks": 0})

    async def handle_call(self, request, from_, state):
        match request:
            case "ticks":
                return Reply(state["ticks"], state)
            case ("slow_job", seconds):
                await asyncio.sleep(seconds)
                return Reply("done", state)

    async def handle_info(self, message, state):
        match message:
            case "tick":
                otp.Process.send_after(otp.self(), "tick", state["every"])
                return NoReply({**state, "ticks": state["ticks"] + 1})
        return NoReply(state)
