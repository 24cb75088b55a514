"""Logging that speaks once per run: only rank 0 of the run's communicator emits records."""

from __future__ import annotations

import logging
import sys

LOGGER_NAME = "sifrac"


class _RankZero(logging.Filter):
    def __init__(self, rank: int) -> None:
        super().__init__()
        self.rank = rank

    def filter(self, record: logging.LogRecord) -> bool:
        return self.rank == 0


def configure(rank: int, level: int = logging.INFO) -> logging.Logger:
    """Send sifrac's log to stderr from rank 0 only (call once per process, from the CLI)."""
    logger = logging.getLogger(LOGGER_NAME)
    logger.handlers.clear()
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    handler.addFilter(_RankZero(rank))
    logger.addHandler(handler)
    logger.setLevel(level)
    logger.propagate = False
    return logger


def get(name: str = "") -> logging.Logger:
    return logging.getLogger(f"{LOGGER_NAME}.{name}" if name else LOGGER_NAME)
