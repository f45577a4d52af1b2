"""Waiting in tests for something another thread or process does: poll, with a bound.

The bound is a number of polls, not a measured time: tests wait for outcomes, they never
judge speed (that is `make bench`'s job).
"""

from __future__ import annotations

import time
from collections.abc import Callable


def eventually(condition: Callable[[], object], polls: int, interval_s: float = 0.02) -> bool:
    """True as soon as *condition* holds; False after *polls* polls that found it false."""
    for _ in range(polls):
        if condition():
            return True
        time.sleep(interval_s)
    return bool(condition())


def wait_for(condition: Callable[[], object], what: str, polls: int = 1500) -> None:
    """Fail the test, naming *what*, if *condition* does not come to hold."""
    assert eventually(condition, polls), f"timed out waiting for {what}"
