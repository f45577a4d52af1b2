"""A test double of the wall clock. It starts where a test says (by default far from today, so
no test can lean on the real date) and either runs on at real speed, so that rows written one
after another keep their order, or stands still until the test moves it."""

from __future__ import annotations

import datetime as dt
import time

# 10:00 on a Tuesday in Shanghai: inside the desk's hours, outside SMS quiet hours.
TEST_START = dt.datetime(2031, 3, 11, 2, 0)


class TestClock:
    """Naive-UTC time from *start*; :meth:`advance` and :meth:`set` move it."""

    __test__ = False  # not a pytest test class

    def __init__(self, start: dt.datetime = TEST_START, *, running: bool = True) -> None:
        self._running = running
        self._start = start
        self._since = time.monotonic()

    def now(self) -> dt.datetime:
        if not self._running:
            return self._start
        return self._start + dt.timedelta(seconds=time.monotonic() - self._since)

    def set(self, at: dt.datetime) -> None:
        """From now on, time is (or runs from) *at*."""
        self._start, self._since = at, time.monotonic()

    def advance(self, seconds: float) -> dt.datetime:
        """Move *seconds* ahead; the new now."""
        self.set(self.now() + dt.timedelta(seconds=seconds))
        return self.now()
