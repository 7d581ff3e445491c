import sys


def answer():
    line = "flood " * 200 + "\n"
    for _ in range(4000):
        sys.stdout.write(line)
        sys.stderr.write(line)
    return 42


async def answer_async():
    return answer()
