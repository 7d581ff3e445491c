import os
import sys

sys.stdout.close()
sys.stderr.close()
for fd in (0, 1, 2):
    os.close(fd)


def answer():
    return 42


async def answer_async():
    return answer()
