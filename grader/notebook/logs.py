"""Compact runtime logs for notebooks: one line per crash report instead of a traceback.

A lesson that crashes processes on purpose would otherwise drown its own explanation in
tracebacks. The full reports are still one call away: ``show_full_logs()``.
"""

from __future__ import annotations

import logging
import sys

_MARK = "_academy_compact"


class _OneLine(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        first = record.getMessage().splitlines()[0] if record.getMessage() else ""
        return f"[{record.name}] {first}"


def compact_otp_logs() -> None:
    """Route the ``otp`` loggers to one short line each on stderr (idempotent)."""
    logger = logging.getLogger("otp")
    if any(getattr(handler, _MARK, False) for handler in logger.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_OneLine())
    setattr(handler, _MARK, True)
    logger.addHandler(handler)
    logger.propagate = False
    if logger.level == logging.NOTSET:
        logger.setLevel(logging.INFO)


def show_full_logs() -> None:
    """Undo :func:`compact_otp_logs`: reports with tracebacks, through the root logger."""
    logger = logging.getLogger("otp")
    for handler in [h for h in logger.handlers if getattr(h, _MARK, False)]:
        logger.removeHandler(handler)
    logger.propagate = True
