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
        ...  # TODO: a call that never takes the value below zero

    @staticmethod
    async def value(server):
        return await GenServer.call(server, "value")

    @staticmethod
    def reset(server):
        ...  # TODO: a cast back to the initial value

    # --- callbacks --------------------------------------------------------------------
    async def init(self, initial):
        return Ok(initial)

    async def handle_call(self, request, from_, count):
        match request:
            case ("increment", by):
                return Reply(count + by, count + by)
            case "value":
                return Reply(count, count)

    async def handle_cast(self, request, count):
        return NoReply(count)
