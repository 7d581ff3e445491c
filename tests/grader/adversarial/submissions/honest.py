def answer():
    return 42


async def answer_async():
    return answer()
