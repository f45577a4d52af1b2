"""Time: rows store naive UTC; callers hear dates in the service's zone, Asia/Shanghai."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

SERVICE_TZ = ZoneInfo("Asia/Shanghai")


def utcnow() -> dt.datetime:
    """Now, as naive UTC: the one clock every row uses."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def local_date(at: dt.datetime) -> dt.date:
    """The calendar date in Shanghai of a naive-UTC timestamp."""
    return at.replace(tzinfo=dt.UTC).astimezone(SERVICE_TZ).date()


def local_datetime(at: dt.datetime) -> dt.datetime:
    """The wall-clock time in Shanghai of a naive-UTC timestamp (naive, for speaking)."""
    return at.replace(tzinfo=dt.UTC).astimezone(SERVICE_TZ).replace(tzinfo=None)
