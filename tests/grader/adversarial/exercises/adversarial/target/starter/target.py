def answer():
    return 0


async def answer_async():
    return answer()
