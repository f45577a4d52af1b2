"""Data sessions for the demo subscribers: the last three months and this one, as billing
would send them, so that the usage trail tells the same story as the usage report.

This month's sessions add up exactly to the subscriber's data counter; the months before
follow each one's habits (its plan, and its bills: a data charge means a month over the
plan). The sessions are drawn from a generator seeded by the subscriber and the day, so a
seed on the same day writes the same sessions, and seeding again replaces them.
"""

from __future__ import annotations

import datetime as dt
import functools
import random
from dataclasses import dataclass
from typing import Final

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ivr.clock import SERVICE_TZ, local_datetime
from ivr.models import Subscriber
from prompts.spoken import KB_PER_GB, KB_PER_MB
from sms_followup import trail
from sms_followup.trail import DataSession

MB: Final = KB_PER_MB
GB: Final = KB_PER_GB
FIRST_MINUTE: Final = 7 * 60
"""Outside today, sessions start between 07:00 and 23:30."""
LAST_MINUTE: Final = 23 * 60 + 30


@dataclass(frozen=True)
class Habits:
    """How one demo subscriber uses data."""

    past_kb: tuple[int, int, int]
    """The three months before this one, oldest first."""
    access: tuple[tuple[str | None, int], ...]
    """Access types and their weights (None: billing named none)."""
    home: str
    trips: tuple[str, ...]
    """Places of the odd day away from home."""
    sessions_a_day: tuple[int, int]


HABITS: Final[dict[str, Habits]] = {
    # 王芳: 5 GB plan on a 5G phone, Shanghai, weekends in Hangzhou, Suzhou and Nanjing;
    # last month's bill has a data charge: 5.4 GB.
    "13800138000": Habits(
        (3 * GB + 600 * MB, 4 * GB + 100 * MB, 5 * GB + 400 * MB),
        (("5G", 5), ("4G", 2), ("WLAN", 3)),
        "上海",
        ("杭州", "苏州", "南京"),
        (1, 4),
    ),
    # John Smith: 10 GB plan, never over it; works in Shanghai, travels to Beijing and Nanjing.
    "13900139000": Habits(
        (5 * GB + 200 * MB, 7 * GB + 900 * MB, 6 * GB + 800 * MB),
        (("5G", 6), ("4G", 1), ("WLAN", 3)),
        "上海",
        ("北京", "南京"),
        (1, 3),
    ),
    # 李强: 2 GB plan, over it last month (a data charge on the bill), Shanghai and Ningbo.
    "13600136000": Habits(
        (1 * GB + 800 * MB, 2 * GB + 300 * MB, 2 * GB + 900 * MB),
        (("5G", 3), ("4G", 5), ("3G", 1), ("WLAN", 1)),
        "上海",
        ("宁波",),
        (1, 3),
    ),
    # The data card: 20 GB plan, a router on 4G most of the time, at home in Shanghai.
    "18600186000": Habits(
        (19 * GB + 700 * MB, 16 * GB + 200 * MB, 18 * GB + 500 * MB),
        (("4G", 8), ("5G", 2), (None, 1)),
        "上海",
        ("苏州",),
        (2, 4),
    ),
    # The heavy user: 40 GB plan, always over it (data charges), video over 5G in Shenzhen.
    "18500185000": Habits(
        (44 * GB + 300 * MB, 47 * GB + 600 * MB, 52 * GB + 100 * MB),
        (("5G", 7), ("4G", 2), ("WLAN", 1)),
        "深圳",
        ("广州", "上海"),
        (3, 6),
    ),
}


def seed_sessions(session: Session, now: dt.datetime, this_month_kb: dict[str, int]) -> int:
    """Replace the demo subscribers' sessions with their habits' as of *now*; this month's add
    up to *this_month_kb* (msisdn → KB, their data counters). How many were written."""
    found = session.execute(
        sa.select(Subscriber.msisdn, Subscriber.id).where(Subscriber.msisdn.in_(HABITS))
    )
    subscribers = {msisdn: subscriber_id for msisdn, subscriber_id in found}
    # Core statements on the session's connection: a few thousand rows, no ORM objects.
    connection = session.connection()
    connection.execute(
        sa.delete(DataSession).where(DataSession.subscriber_id.in_(list(subscribers.values())))
    )
    # The minute is enough: a test seeds many times a second, and each seed draws the same.
    minute = local_datetime(now).replace(second=0, microsecond=0)
    rows = [
        {"subscriber_id": subscriber_id, **dict(zip(_COLUMNS, values, strict=True))}
        for msisdn, subscriber_id in sorted(subscribers.items())
        for values in _sessions(msisdn, minute, this_month_kb.get(msisdn, 0))
    ]
    if rows:
        connection.execute(sa.insert(DataSession), rows)
    return len(rows)


_COLUMNS: Final = ("started_at", "day", "kb", "duration_s", "access", "location")
_Session = tuple[dt.datetime, dt.date, int, int, str | None, str]


@functools.lru_cache(maxsize=64)
def _sessions(msisdn: str, local_now: dt.datetime, this_month_kb: int) -> tuple[_Session, ...]:
    """*msisdn*'s sessions over the trail's window as of *local_now* (Shanghai)."""
    habits = HABITS[msisdn]
    today = local_now.date()
    rng = random.Random(f"{msisdn}:{today.isoformat()}")
    totals = [*habits.past_kb, this_month_kb]
    sessions: list[_Session] = []
    for month, total in zip(trail.months_of(today), totals, strict=True):
        days = _days(dt.date.fromisoformat(f"{month}-01"), today)
        sessions += _month(rng, habits, days, total, local_now)
    return tuple(sessions)


def _days(first: dt.date, today: dt.date) -> list[dt.date]:
    """The days of *first*'s month up to *today*."""
    days, day = [], first
    while day.month == first.month and day <= today:
        days.append(day)
        day += dt.timedelta(days=1)
    return days


def _split(total: int, weights: list[float]) -> list[int]:
    """*total* in whole parts proportional to *weights*, the remainder on the last."""
    whole = sum(weights)
    parts = [int(total * weight / whole) for weight in weights[:-1]]
    return [*parts, total - sum(parts)]


def _month(
    rng: random.Random, habits: Habits, days: list[dt.date], total: int, local_now: dt.datetime
) -> list[_Session]:
    """One month's sessions, adding up to *total* KB: a few a day, one day away from home
    busier than the rest."""
    if total <= 0:
        return []
    weights = [rng.uniform(0.4, 1.6) for _ in days]
    trip = rng.randrange(len(days))
    weights[trip] *= 3
    sessions: list[_Session] = []
    access_types = [access for access, _ in habits.access]
    access_weights = [weight for _, weight in habits.access]
    for index, (day, day_kb) in enumerate(zip(days, _split(total, weights), strict=True)):
        count = rng.randint(*habits.sessions_a_day)
        place = rng.choice(habits.trips) if index == trip else habits.home
        last = LAST_MINUTE
        if day == local_now.date():
            last = max(0, local_now.hour * 60 + local_now.minute - 1)
        first = min(FIRST_MINUTE, last)
        shares = [rng.uniform(0.2, 1.8) for _ in range(count)]
        for kb in _split(day_kb, shares):
            start = dt.datetime.combine(day, dt.time()) + dt.timedelta(
                minutes=rng.randint(first, last)
            )
            duration = max(30, kb // rng.randint(200, 2000))  # 200 KB/s to 2 MB/s
            access = rng.choices(access_types, access_weights)[0]
            sessions.append((_utc(start), day, kb, duration, access, place))
    return sessions


def _utc(local: dt.datetime) -> dt.datetime:
    """Naive UTC of a naive Shanghai wall-clock time."""
    return local.replace(tzinfo=SERVICE_TZ).astimezone(dt.UTC).replace(tzinfo=None)
