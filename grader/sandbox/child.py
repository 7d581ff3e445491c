"""The cold path: `python -I -m grader.sandbox.child PARENT_PID SPEC CHANNEL STDOUT STDERR STATUS`.

Used when the zygote is unavailable or a cold start is asked for. It runs exactly the
monitor the zygote would fork, so isolation is identical; only the interpreter start-up and
the imports are paid again.
"""

from __future__ import annotations

import sys

from grader.sandbox._monitor import run_monitor


def main(argv: list[str]) -> None:
    parent_pid, *fds = [int(arg) for arg in argv]
    run_monitor(fds, parent_pid)


if __name__ == "__main__":
    main(sys.argv[1:])
