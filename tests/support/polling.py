"""Waiting in tests for something another thread or process does: poll, with a bound.

The bound is how long a test waits before it calls the outcome broken, never a measure of
speed (that is `make bench`'s job): it is far above what the slowest machine this project
runs on needs, so only a real fault reaches it. A test that waits for a thread, a process, a
simulated caller or a browser takes its patience from here.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Final

PATIENCE_S: Final = 300.0
"""Seconds a test waits for an outcome before it fails. Minutes, not seconds: on a loaded
two-core machine a step that takes 5 s on a warm one can take ten times as long."""
POLL_INTERVAL_S: Final = 0.02


def eventually(
    condition: Callable[[], object],
    polls: int = round(PATIENCE_S / POLL_INTERVAL_S),
    interval_s: float = POLL_INTERVAL_S,
) -> bool:
    """True as soon as *condition* holds; False after *polls* polls that found it false."""
    for _ in range(polls):
        if condition():
            return True
        time.sleep(interval_s)
    return bool(condition())


def wait_for(condition: Callable[[], object], what: str) -> None:
    """Fail the test, naming *what*, if *condition* does not come to hold within the test's
    patience."""
    assert eventually(condition), f"timed out waiting for {what}"
