import sys


def answer():
    sys.exit(0)


async def answer_async():
    return answer()
