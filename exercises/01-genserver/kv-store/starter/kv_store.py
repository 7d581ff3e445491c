from otp import GenServer, NoReply, Ok, Reply


class KeyValueStore(GenServer):
    # --- client API -----------------------------------------------------------------
    @classmethod
    async def start_link(cls, *, name=None):
        return await super().start_link({}, name=name)

    @staticmethod
    async def put(store, key, value):
        return await GenServer.call(store, ("put", key, value))

    @staticmethod
    async def get(store, key, default=None):
        return await GenServer.call(store, ("get", key, default))

    @staticmethod
    async def put_new(store, key, value):
        ...  # TODO

    @staticmethod
    async def pop(store, key, default=None):
        ...  # TODO

    @staticmethod
    def delete(store, key):
        ...  # TODO: a cast

    @staticmethod
    async def keys(store):
        return await GenServer.call(store, "keys")

    # --- callbacks --------------------------------------------------------------------
    async def init(self, data):
        return Ok(data)

    async def handle_call(self, request, from_, data):
        match request:
            case ("put", key, value):
                return Reply("ok", {**data, key: value})
            case ("get", key, default):
                return Reply(data.get(key, default), data)
            case "keys":
                return Reply(sorted(data), data)

    async def handle_cast(self, request, data):
        return NoReply(data)
