"""CPU time per part of a running deployment, read from ``/proc`` (Linux, as the sandbox is).

Why: on one machine the web process, PostgreSQL, the workers and the learners' client all
share the cores, so "submissions per second" alone cannot say which part limits it; CPU
seconds per submission, part by part, can.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path

_PROC = Path("/proc")
_TICKS = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> tuple[str, int, float] | None:
    """(command name, parent pid, CPU seconds) of one process, with its reaped children's:
    a sandbox lives for one grading, and its time is in its parent's once it is reaped."""
    try:
        text = (_PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    name = text[text.index("(") + 1 : text.rindex(")")]
    fields = text[text.rindex(")") + 2 :].split()
    # fields[0] is stat(5)'s field 3 (state): ppid is field 4, utime..cstime fields 14-17.
    return name, int(fields[1]), sum(int(value) for value in fields[11:15]) / _TICKS


def _table() -> dict[int, tuple[str, int, float]]:
    table = {}
    for entry in _PROC.iterdir():
        if entry.name.isdigit() and (stat := _stat(int(entry.name))) is not None:
            table[int(entry.name)] = stat
    return table


_Table = Mapping[int, tuple[str, int, float]]


def _with_descendants(roots: Iterable[int], table: _Table) -> set[int]:
    found = set(roots)
    grew = True
    while grew:
        grew = False
        for pid, (_, parent, _) in table.items():
            if parent in found and pid not in found:
                found.add(pid)
                grew = True
    return found


Part = tuple[Iterable[int], str]  # (pids, "self" | "tree" | "below": descendants only)


def sample(parts: Mapping[str, Part]) -> dict[str, float]:
    """CPU seconds used so far by each part, plus ``postgres`` (every process named so) and
    ``client`` (this process). A part is some pids with ``"self"``, with their descendants
    (``"tree"``), or their descendants alone (``"below"``).

    Sample a part only while its processes live: one that exited since an earlier sample
    drops out of the sum. Kernel threads' work for a part (tearing down a sandbox's network
    namespace) is not counted in any.
    """
    table = _table()
    seconds: dict[str, float] = {}
    for name, (roots, reach) in parts.items():
        roots = set(roots)
        pids = roots if reach == "self" else _with_descendants(roots, table)
        if reach == "below":
            pids -= roots
        seconds[name] = sum(table[pid][2] for pid in pids if pid in table)
    seconds["postgres"] = sum(cpu for name, _, cpu in table.values() if name == "postgres")
    own = table.get(os.getpid())
    seconds["client"] = own[2] if own else 0.0
    return seconds


def per_item_ms(
    before: Mapping[str, float], after: Mapping[str, float], items: int
) -> dict[str, float]:
    """CPU milliseconds per item, part by part, between two samples."""
    if not items:
        return {}
    return {name: (after[name] - before.get(name, 0.0)) * 1000 / items for name in after}
