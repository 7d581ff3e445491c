import time


def answer():
    time.sleep(10**6)


async def answer_async():
    return answer()
