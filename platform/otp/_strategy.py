"""Restart strategies as pure functions over the children's start order.

A supervisor keeps its children in start order; a strategy only decides which of them a crash
affects. Everything affected is stopped newest first and started again oldest first, which is
the whole difference between one_for_one, one_for_all and rest_for_one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, TypeAlias, TypeVar

__all__ = ["STRATEGIES", "Strategy", "affected_by_crash", "check_strategy"]

Strategy: TypeAlias = Literal["one_for_one", "one_for_all", "rest_for_one"]
STRATEGIES: tuple[Strategy, ...] = ("one_for_one", "one_for_all", "rest_for_one")

K = TypeVar("K")


def check_strategy(strategy: object) -> Strategy:
    """Return ``strategy`` if it is one of :data:`STRATEGIES`, else raise ``ValueError``."""
    if strategy not in STRATEGIES:
        raise ValueError(f"strategy must be one of {STRATEGIES}, got {strategy!r}")
    return strategy  # type: ignore[return-value]


def affected_by_crash(strategy: Strategy, start_order: Sequence[K], crashed: K) -> list[K]:
    """The children, in start order, that restart because ``crashed`` exited (itself included)."""
    match strategy:
        case "one_for_one":
            return [crashed]
        case "one_for_all":
            return list(start_order)
        case "rest_for_one":
            return list(start_order[start_order.index(crashed) :])
    raise ValueError(f"unknown strategy {strategy!r}")
