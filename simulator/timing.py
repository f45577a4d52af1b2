"""Simulated time: how long a call's audio and waits take, and how much of it is real.

A call keeps its own simulated clock (seconds since it started). Only the *real* sleeping is
delegated to a :class:`Clock`, so tests run with ``time_scale=0`` (instant) while the CLI can
play a call in real time (``time_scale=1``). What is paced in real seconds whatever the time
scale (load mode's call rate) goes by a :class:`RealClock`, which a test can hand in.
"""

from __future__ import annotations

import math
import threading
import time
from typing import Protocol


class Clock(Protocol):
    """Turns simulated seconds into real waiting."""

    def sleep(self, seconds: float, interrupt: threading.Event | None = None) -> float:
        """Wait the real counterpart of ``seconds``, less if ``interrupt`` is set meanwhile;
        return the simulated seconds that passed."""
        ...

    def simulated(self, real_seconds: float) -> float:
        """The simulated counterpart of a real wait (0 when time does not scale)."""
        ...


class ScaledClock:
    """Real time = simulated time × ``time_scale`` (0 = never sleep, 1 = real time)."""

    def __init__(self, time_scale: float = 0.0) -> None:
        if time_scale < 0 or math.isinf(time_scale):
            raise ValueError(f"time_scale must be finite and >= 0, got {time_scale}")
        self.time_scale = time_scale

    def sleep(self, seconds: float, interrupt: threading.Event | None = None) -> float:
        real = seconds * self.time_scale
        if real <= 0:
            return seconds
        if interrupt is None:
            time.sleep(real)
            return seconds
        started = time.monotonic()
        if interrupt.wait(real):
            return min(seconds, self.simulated(time.monotonic() - started))
        return seconds

    def simulated(self, real_seconds: float) -> float:
        return real_seconds / self.time_scale if self.time_scale > 0 else 0.0


class RealClock(Protocol):
    """Real time, for what is paced in real seconds rather than simulated ones."""

    def now(self) -> float:
        """Seconds on a monotonic clock (only differences mean anything)."""
        ...

    def sleep_until(self, moment: float) -> None:
        """Return once :meth:`now` has reached ``moment`` (at once if it has)."""
        ...


class SystemClock:
    """The machine's monotonic clock."""

    def now(self) -> float:
        return time.perf_counter()

    def sleep_until(self, moment: float) -> None:
        time.sleep(max(0.0, moment - time.perf_counter()))


KEY_SECONDS = 0.3
"""How long one DTMF key takes, pressed by the caller or played by ``<Play digits>``."""


# Rough speaking rates used to estimate how long a <Say> lasts.
_CJK_CHARS_PER_SECOND = 4.0
_LATIN_CHARS_PER_SECOND = 14.0


def speech_seconds(text: str) -> float:
    """Estimated duration of ``text`` spoken aloud (at least half a second)."""
    cjk = sum(1 for char in text if "\u3000" <= char <= "\u9fff" or "\uff00" <= char <= "\uffef")
    latin = len(text) - cjk
    return max(0.5, cjk / _CJK_CHARS_PER_SECOND + latin / _LATIN_CHARS_PER_SECOND)
