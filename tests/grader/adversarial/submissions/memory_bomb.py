def answer():
    hoard = []
    while True:
        hoard.append(bytearray(16 * 2**20))


async def answer_async():
    return answer()
