"""Restart intensity: how many restarts a supervisor allows within a sliding window.

OTP's rule (``supervisor:add_restart/1``): every restart is time-stamped; restarts older than
``max_seconds`` are forgotten; if more than ``max_restarts`` remain, the supervisor gives up
and exits ``shutdown``. Kept apart from the supervisor, and free of clocks, so the window can
be tested with plain numbers.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

__all__ = ["RestartIntensity"]


@dataclass
class RestartIntensity:
    """The restarts a supervisor has made recently, and whether one more is allowed.

    A restart exactly ``max_seconds`` old still counts, as in OTP, so "3 restarts in 5 seconds"
    means a fourth within 5 seconds of the first escalates.
    """

    max_restarts: int = 3
    max_seconds: float = 5.0
    _stamps: deque[float] = field(default_factory=deque, init=False, repr=False)

    def __post_init__(self) -> None:
        if isinstance(self.max_restarts, bool) or not isinstance(self.max_restarts, int):
            raise TypeError(f"max_restarts must be an int, got {self.max_restarts!r}")
        if self.max_restarts < 0:
            raise ValueError(f"max_restarts must be >= 0, got {self.max_restarts}")
        if not self.max_seconds > 0:
            raise ValueError(f"max_seconds must be > 0, got {self.max_seconds!r}")

    def add_restart(self, now: float) -> bool:
        """Record a restart at ``now``; ``False`` means the intensity is exceeded (escalate)."""
        self._stamps.append(now)
        threshold = now - self.max_seconds
        while self._stamps and self._stamps[0] < threshold:
            self._stamps.popleft()
        return len(self._stamps) <= self.max_restarts

    @property
    def recent(self) -> int:
        """How many restarts are still inside the window (as of the last one recorded)."""
        return len(self._stamps)
