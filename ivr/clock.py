"""Time: one injectable clock. Rows store naive UTC; callers hear Asia/Shanghai time.

Domain code never reads the wall clock: it is handed a :class:`Clock` (built once, in the
composition root) or a ``now`` taken from one. Column defaults read the clock of the engine
that writes the row (:func:`stamp`), so a test or a replay that runs at another time writes
rows at that time too.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Protocol
from zoneinfo import ZoneInfo

SERVICE_TZ = ZoneInfo("Asia/Shanghai")

CLOCK_OPTION = "hotline_clock"
"""The engine execution option that carries the clock column defaults read."""


class Clock(Protocol):
    """Where "now" comes from."""

    def now(self) -> dt.datetime:
        """Now, as naive UTC."""
        ...


class SystemClock:
    """The wall clock: the only place in the service that reads it."""

    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def stamp(context: Any) -> dt.datetime:
    """Column default: now, by the clock of the engine executing the INSERT or UPDATE."""
    clock: Clock | None = context.execution_options.get(CLOCK_OPTION)
    if clock is None:
        raise RuntimeError("this engine has no clock: build it with ivr.db.make_engine")
    return clock.now()


def local_date(at: dt.datetime) -> dt.date:
    """The calendar date in Shanghai of a naive-UTC timestamp."""
    return at.replace(tzinfo=dt.UTC).astimezone(SERVICE_TZ).date()


def local_datetime(at: dt.datetime) -> dt.datetime:
    """The wall-clock time in Shanghai of a naive-UTC timestamp (naive, for speaking)."""
    return at.replace(tzinfo=dt.UTC).astimezone(SERVICE_TZ).replace(tzinfo=None)


def local_stamp(at: dt.datetime) -> str:
    """A naive-UTC timestamp as the command line prints it: Shanghai time that says so by
    its offset, ``2026-11-28 20:45:07+08:00``."""
    return at.replace(tzinfo=dt.UTC).astimezone(SERVICE_TZ).isoformat(" ", "seconds")
