from otp import GenServer, NoReply, Ok, Reply


class Counter(GenServer):
    # --- client API -----------------------------------------------------------------
    @classmethod
    async def start_link(cls, initial=0, *, name=None):
        return await super().start_link(initial, name=name)

    @staticmethod
    async def increment(server, by=1):
        return await GenServer.call(server, ("increment", by))

    @staticmethod
    async def decrement(server, by=1):
        return await GenServer.call(server, ("decrement", by))

    @staticmethod
    async def value(server):
        return await GenServer.call(server, "value")

    @staticmethod
    def reset(server):
        GenServer.cast(server, "reset")

    # --- callbacks: the state is (initial, count) --------------------------------------
    async def init(self, initial):
        return Ok((initial, initial))

    async def handle_call(self, request, from_, state):
        initial, count = state
        match request:
            case ("increment", by):
                count += by
            case ("decrement", by):
                count = max(0, count - by)
            case "value":
                pass
        return Reply(count, (initial, count))

    async def handle_cast(self, request, state):
        initial, _ = state
        match request:
            case "reset":
                return NoReply((initial, initial))
        return NoReply(state)
