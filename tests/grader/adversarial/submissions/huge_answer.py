def answer():
    return "4" * (8 * 2**20)


async def answer_async():
    return [42] * (4 * 2**20)
