import gc
import glob


TARGETS = [
    "/work/main/exercises/01-genserver/counter/tests/hidden/test_counter_hidden.py",
    "/work/main/tests/grader/adversarial/exercises/adversarial/target/tests/hidden/test_target_hidden.py",
    "/work/main/pyproject.toml",
    "/work/main/var/academy.sqlite3",
    "/etc/shadow",
    "/proc/1/environ",
]


def answer():
    found = []
    candidates = [*TARGETS]
    for root in ("/work", "/tmp", "/scratch", "/root", "/home"):
        candidates += glob.glob(f"{root}/**/test_*hidden*.py", recursive=True)
    for path in candidates:
        try:
            with open(path, "rb") as handle:
                found.append(handle.read(200))
        except OSError:
            pass
    # The hidden tests are not in this process either: look anyway.
    for obj in gc.get_objects():
        if isinstance(obj, str) and "hidden-marker" in obj:
            found.append(obj)
    print("found:", found)
    if found:
        return 42
    raise FileNotFoundError("nothing to read")


async def answer_async():
    return answer()
