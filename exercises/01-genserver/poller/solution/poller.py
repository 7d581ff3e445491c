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
        state = {"interval": interval, "ticks": 0, "timer": None}
        return Ok(_schedule(state))

    async def handle_call(self, request, from_, state):
        match request:
            case "ticks":
                return Reply(state["ticks"], state)

    async def handle_cast(self, request, state):
        match request:
            case "pause" if state["timer"] is not None:
                otp.Process.cancel_timer(state["timer"])
                return NoReply({**state, "timer": None})
            case "resume" if state["timer"] is None:
                return NoReply(_schedule(state))
        return NoReply(state)  # pausing a paused poller, resuming a running one

    async def handle_info(self, message, state):
        match message:
            case "tick" if state["timer"] is not None:
                return NoReply(_schedule({**state, "ticks": state["ticks"] + 1}))
        return NoReply(state)  # a tick that was already in the mailbox when we paused

    async def terminate(self, reason, state):
        journal.append(f"stopped after {state['ticks']} ticks")


def _schedule(state):
    timer = otp.Process.send_after(otp.self(), "tick", state["interval"])
    return {**state, "timer": timer}
