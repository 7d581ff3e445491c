import os
import sys

MARKER = "4242.4242"


def answer():
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            os.execv(sys.executable, [sys.executable, "-c", f"import time; time.sleep({MARKER})"])
        os._exit(0)
    return 42


async def answer_async():
    return answer()
