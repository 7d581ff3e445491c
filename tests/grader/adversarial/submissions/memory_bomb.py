def answer():
    hoard = []
    while True:
        hoard.append(bytes(64 * 2**20))


async def answer_async():
    return answer()
