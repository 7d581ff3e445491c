def answer():
    while True:
        pass


async def answer_async():
    return answer()
