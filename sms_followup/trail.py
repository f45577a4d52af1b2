"""流量轨迹: the data-usage trail, the last three months of data sessions plus this one.

Every ``data`` row of ``ivr usage ingest`` is also kept here as a session: when it began
(and its Shanghai day), how long it lasted, the access type (5G, 4G, 3G, 2G, WLAN) and the
place billing names. Three months plus the current one are kept (:func:`purge`, run by the
worker). Every figure below comes from aggregate SQL over the
``(subscriber_id, day, access, kb)`` index: a heavy user's 30,000 sessions are never loaded,
only the sessions of one chosen day.

One figure of data used per month: the month's data counter (``UsageCounter``), which the
usage report, its SMS and the reminders read too. Sessions are its breakdown by day, access
type and place; ingesting one adds it to both in one transaction. A month whose counter is
ahead of its sessions (billing set the counter, by account import, before sending the
sessions) is *pending*: its total is still the counter's, and the trail says that its daily
records are not all in, never that nothing was used. A month without a counter is the sum of
its sessions.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, Session, mapped_column

from ivr.clock import local_date
from ivr.db import Base
from ivr.models import UsageCounter

ACCESS_TYPES = ("5G", "4G", "3G", "2G", "WLAN")
"""Access types in the order they are shown (and coloured); sessions without one are 'other'."""
ACCESS_ALIASES = {
    "NR": "5G",
    "LTE": "4G",
    "WCDMA": "3G",
    "UMTS": "3G",
    "HSPA": "3G",
    "GSM": "2G",
    "GPRS": "2G",
    "EDGE": "2G",
    "WIFI": "WLAN",
    "WI-FI": "WLAN",
}
MONTHS_KEPT = 3
"""Whole months kept before the current one."""
DAY_SESSIONS_SHOWN = 500


class DataSession(Base):
    """One data session from billing, kept for the trail."""

    __tablename__ = "data_sessions"
    __table_args__ = (
        sa.Index("ix_data_sessions_trail", "subscriber_id", "day", "access", "kb"),
        sa.Index("ix_data_sessions_day", "day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    subscriber_id: Mapped[int] = mapped_column(sa.ForeignKey("subscribers.id"))
    started_at: Mapped[dt.datetime] = mapped_column()  # naive UTC
    day: Mapped[dt.date] = mapped_column(sa.Date)  # Shanghai day of started_at
    kb: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    duration_s: Mapped[int | None] = mapped_column()
    access: Mapped[str | None] = mapped_column(sa.String(8))
    location: Mapped[str | None] = mapped_column(sa.String(64))


def access_type(value: str) -> str | None:
    """The access type billing sent, normalised (``lte`` → ``4G``); '' is None; an unknown
    one raises ValueError."""
    text = value.strip().upper().replace("_", "-")
    if not text:
        return None
    text = ACCESS_ALIASES.get(text, text)
    if text not in ACCESS_TYPES:
        raise ValueError(f"access {value!r} is not one of {', '.join(ACCESS_TYPES)}")
    return text


def window_start(today: dt.date) -> dt.date:
    """The first day kept: the first of the month three months before *today*'s."""
    month = today.year * 12 + today.month - 1 - MONTHS_KEPT
    return dt.date(month // 12, month % 12 + 1, 1)


def month_key(day: dt.date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def months_of(today: dt.date) -> list[str]:
    """The months of the window, oldest first, this one last."""
    first = window_start(today)
    out = []
    for n in range(MONTHS_KEPT + 1):
        month = first.year * 12 + first.month - 1 + n
        out.append(f"{month // 12:04d}-{month % 12 + 1:02d}")
    return out


@dataclass(frozen=True)
class TopDay:
    day: dt.date
    kb: int
    access: str | None
    location: str | None


@dataclass
class Trail:
    """The trail's figures for one subscriber, as of *today* (Shanghai)."""

    today: dt.date
    start: dt.date
    months: dict[str, int]  # YYYY-MM → KB used (the counter's), every month, oldest first
    recorded: dict[str, int]  # YYYY-MM → KB of the sessions kept, every month of the window
    days: dict[dt.date, dict[str, int]]  # day → access ('other' for none) → KB
    sessions: int
    top: TopDay | None
    by_access: dict[str, int] = field(default_factory=dict)

    @property
    def this_month_kb(self) -> int:
        return self.months[month_key(self.today)]

    @property
    def pending(self) -> list[str]:
        """The months whose sessions do not yet add up to the data used."""
        return [month for month, kb in self.months.items() if self.recorded[month] < kb]

    @property
    def this_month_pending(self) -> bool:
        return month_key(self.today) in self.pending

    @property
    def last_three_months_kb(self) -> int:
        return sum(kb for month, kb in self.months.items() if month != month_key(self.today))

    def day_kb(self, day: dt.date) -> int:
        return sum(self.days.get(day, {}).values())

    def as_facts(self) -> dict[str, object]:
        """The figures a call records for its SMS summary (JSON-able)."""
        return {
            "start": self.start.isoformat(),
            "today": self.today.isoformat(),
            "months": dict(self.months),
            "last_three_months_kb": self.last_three_months_kb,
            "this_month_kb": self.this_month_kb,
            "this_month_pending": self.this_month_pending,
            "top": None
            if self.top is None
            else {
                "day": self.top.day.isoformat(),
                "kb": self.top.kb,
                "access": self.top.access,
                "location": self.top.location,
            },
        }


def trail(session: Session, subscriber_id: int, today: dt.date) -> Trail:
    """Per-day totals by access type over the window (one GROUP BY), and from them the
    sessions' month totals and the day with the most data, whose place is one more aggregate
    query; the months' data used are their counters, where billing keeps one."""
    start = window_start(today)
    s = DataSession
    rows = session.execute(
        sa.select(s.day, s.access, sa.func.sum(s.kb), sa.func.count())
        .where(s.subscriber_id == subscriber_id, s.day >= start, s.day <= today)
        .group_by(s.day, s.access)
    )
    recorded = dict.fromkeys(months_of(today), 0)
    days: dict[dt.date, dict[str, int]] = defaultdict(dict)
    by_access: dict[str, int] = defaultdict(int)
    count = 0
    for day, access, kb, n in rows:
        kb = int(kb or 0)
        key = access or "other"
        days[day][key] = days[day].get(key, 0) + kb
        recorded[month_key(day)] += kb
        by_access[key] += kb
        count += int(n)
    top = None
    if days:
        best = max(days, key=lambda d: (sum(days[d].values()), d))
        if sum(days[best].values()) > 0:
            split = days[best]
            main = max(split, key=lambda a: (split[a], a))
            place = session.execute(
                sa.select(s.location)
                .where(s.subscriber_id == subscriber_id, s.day == best, s.location.is_not(None))
                .group_by(s.location)
                .order_by(sa.func.sum(s.kb).desc(), s.location)
                .limit(1)
            ).scalar()
            top = TopDay(best, sum(split.values()), None if main == "other" else main, place)
    counters = session.execute(
        sa.select(UsageCounter.period, UsageCounter.used).where(
            UsageCounter.subscriber_id == subscriber_id,
            UsageCounter.kind == "data",
            UsageCounter.period.in_(list(recorded)),
        )
    )
    counted = {period: int(used) for period, used in counters}
    months = {month: counted.get(month, kb) for month, kb in recorded.items()}
    return Trail(
        today, start, months, recorded, dict(sorted(days.items())), count, top, dict(by_access)
    )


@dataclass(frozen=True)
class SessionRow:
    started_at: dt.datetime  # naive UTC
    duration_s: int | None
    access: str | None
    kb: int
    location: str | None


def sessions_of_day(session: Session, subscriber_id: int, day: dt.date) -> list[SessionRow]:
    """The sessions that began on *day* (Shanghai), in order, at most
    :data:`DAY_SESSIONS_SHOWN`."""
    s = DataSession
    rows = session.execute(
        sa.select(s.started_at, s.duration_s, s.access, s.kb, s.location)
        .where(s.subscriber_id == subscriber_id, s.day == day)
        .order_by(s.started_at, s.id)
        .limit(DAY_SESSIONS_SHOWN)
    )
    return [SessionRow(*row) for row in rows]


def record(
    session: Session,
    subscriber_id: int,
    started_at: dt.datetime,
    kb: int,
    duration_s: int | None,
    access: str | None,
    location: str | None,
) -> None:
    """Keep one ingested data session."""
    session.add(
        DataSession(
            subscriber_id=subscriber_id,
            started_at=started_at,
            day=local_date(started_at),
            kb=kb,
            duration_s=duration_s,
            access=access,
            location=location,
        )
    )


def purge(session: Session, now: dt.datetime) -> int:
    """Delete sessions older than the window (three months plus the current one)."""
    start = window_start(local_date(now))
    result = session.execute(sa.delete(DataSession).where(DataSession.day < start))
    return int(getattr(result, "rowcount", 0) or 0)
