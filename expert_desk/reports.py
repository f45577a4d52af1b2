"""Everything the supervisor sees, derived from the queue event log: the live view of each
skill's line, the day report (and its CSV), and the Prometheus metrics.

Service level is the share of callers answered within ``DESK_SERVICE_LEVEL_S``, counted two
ways: over answered and abandoned callers (abandoned count against it), and over answered
callers only. Callbacks are not in it: the caller chose not to hold. Average handle time is
talk plus wrap-up of the calls completed.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import sqlalchemy as sa
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy.orm import Session, sessionmaker

from expert_desk import topics
from expert_desk.models import (
    BREAK,
    CALLBACK,
    IDLE,
    IN_LINE,
    LINE,
    OFFLINE,
    DeskAgent,
    DeskCall,
    DeskEvent,
)
from expert_desk.routing import day_start
from ivr.clock import SERVICE_TZ, Clock, local_date

ALL = "all"
AGENT_COLUMNS = ("idle", "offered", "on_call", "wrap_up", "break", "offline")


@dataclass
class QueueStats:
    """One skill's line over a period, from its events."""

    skill: str
    entered: int = 0
    answered: int = 0
    answered_in_target: int = 0
    abandoned: int = 0
    callbacks_requested: int = 0
    callbacks_answered: int = 0
    turned_away: int = 0
    no_answers: int = 0
    completed: int = 0
    wait_total_s: int = 0
    max_wait_s: int = 0
    handle_total_s: int = 0

    @property
    def service_level(self) -> float | None:
        """Answered within target over answered plus abandoned."""
        offered = self.answered + self.abandoned
        return self.answered_in_target / offered if offered else None

    @property
    def service_level_answered(self) -> float | None:
        """Answered within target over answered (abandoned callers left out)."""
        return self.answered_in_target / self.answered if self.answered else None

    @property
    def average_wait_s(self) -> float | None:
        return self.wait_total_s / self.answered if self.answered else None

    @property
    def average_handle_s(self) -> float | None:
        return self.handle_total_s / self.completed if self.completed else None

    def add(self, other: QueueStats) -> None:
        for name in (
            "entered",
            "answered",
            "answered_in_target",
            "abandoned",
            "callbacks_requested",
            "callbacks_answered",
            "turned_away",
            "no_answers",
            "completed",
            "wait_total_s",
            "handle_total_s",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.max_wait_s = max(self.max_wait_s, other.max_wait_s)


def local_day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The Shanghai calendar day *day* as a naive-UTC half-open interval."""
    start = dt.datetime.combine(day, dt.time(), tzinfo=SERVICE_TZ).astimezone(dt.UTC)
    end = start + dt.timedelta(days=1)
    return start.replace(tzinfo=None), end.replace(tzinfo=None)


def stats(
    session: Session, start: dt.datetime, end: dt.datetime, target_s: int
) -> dict[str, QueueStats]:
    """Each skill's line between *start* and *end*, and the total under ``"all"``."""
    by_skill = {skill: QueueStats(skill) for skill in topics.SKILLS}
    rows = session.execute(
        sa.select(DeskEvent.kind, DeskEvent.skill, DeskEvent.desk_call_id, DeskEvent.detail)
        .where(DeskEvent.at >= start, DeskEvent.at < end, DeskEvent.skill.is_not(None))
        .order_by(DeskEvent.id)
    ).all()
    talk: dict[int, int] = {}
    for kind, skill, desk_call_id, detail in rows:
        line = by_skill.setdefault(skill, QueueStats(skill))
        if kind == "entered":
            line.entered += 1
        elif kind == "answered" and detail.get("mode") == CALLBACK:
            line.callbacks_answered += 1
        elif kind == "answered":
            wait = int(detail.get("wait_s") or 0)
            line.answered += 1
            line.answered_in_target += wait <= target_s
            line.wait_total_s += wait
            line.max_wait_s = max(line.max_wait_s, wait)
        elif kind == "answer_failed" and detail.get("mode") == CALLBACK:
            line.callbacks_answered -= 1  # Twilio refused the accepted call: not answered
        elif kind == "answer_failed":
            wait = int(detail.get("wait_s") or 0)
            line.answered -= 1
            line.answered_in_target -= wait <= target_s
            line.wait_total_s -= wait
        elif kind == "abandoned":
            line.abandoned += 1
            line.max_wait_s = max(line.max_wait_s, int(detail.get("wait_s") or 0))
        elif kind == "callback_requested":
            line.callbacks_requested += 1
        elif kind == "left" and detail.get("reason") != "callback":  # * is no turning away
            line.turned_away += 1
        elif kind == "no_answer":
            line.no_answers += 1
        elif kind == "completed":
            line.completed += 1
            talk[desk_call_id] = int(detail.get("talk_s") or 0)
    wraps = _wrap_times(session, talk)
    skills: dict[int, str] = dict(
        session.execute(sa.select(DeskCall.id, DeskCall.skill).where(DeskCall.id.in_(talk)))
        .tuples()
        .all()
    )
    for desk_call_id, talk_s in talk.items():
        by_skill[skills[desk_call_id]].handle_total_s += talk_s + wraps.get(desk_call_id, 0)
    total = QueueStats(ALL)
    for line in by_skill.values():
        total.add(line)
    return by_skill | {ALL: total}


def _wrap_times(session: Session, desk_call_ids: Iterable[int]) -> dict[int, int]:
    ids = list(desk_call_ids)
    if not ids:
        return {}
    rows = session.execute(
        sa.select(DeskEvent.desk_call_id, DeskEvent.detail).where(
            DeskEvent.kind == "wrapup_ended", DeskEvent.desk_call_id.in_(ids)
        )
    ).all()
    return {desk_call_id: int(detail.get("wrap_s") or 0) for desk_call_id, detail in rows}


def report_day(session: Session, asked: str, today: dt.date) -> dt.date:
    """The day a supervisor asked for (``YYYY-MM-DD``), clamped to the days the desk has
    data for: from the day of its first event to *today*. Without a readable day, or
    without any data, today. The report names the day it shows."""
    try:
        day = dt.date.fromisoformat(asked) if len(asked) == 10 else today
    except ValueError:
        day = today
    first_at = session.scalar(sa.select(sa.func.min(DeskEvent.at)))
    first = today if first_at is None else min(local_date(first_at), today)
    return min(max(day, first), today)


def day_report(session: Session, day: dt.date, target_s: int) -> list[QueueStats]:
    start, end = local_day_bounds(day)
    lines = stats(session, start, end, target_s)
    return [lines[s] for s in topics.SKILLS] + [lines[ALL]]


CSV_COLUMNS = (
    "day",
    "skill",
    "entered",
    "answered",
    "answered_within_target",
    "abandoned",
    "callbacks_requested",
    "callbacks_answered",
    "turned_away",
    "offers_not_answered",
    "service_level_pct",
    "service_level_answered_pct",
    "average_wait_s",
    "max_wait_s",
    "average_handle_s",
)


def report_csv(day: dt.date, lines: Iterable[QueueStats]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for s in lines:
        writer.writerow(
            [
                day.isoformat(),
                s.skill,
                s.entered,
                s.answered,
                s.answered_in_target,
                s.abandoned,
                s.callbacks_requested,
                s.callbacks_answered,
                s.turned_away,
                s.no_answers,
                _pct(s.service_level),
                _pct(s.service_level_answered),
                _round(s.average_wait_s),
                s.max_wait_s,
                _round(s.average_handle_s),
            ]
        )
    return out.getvalue()


def _pct(value: float | None) -> str:
    return "" if value is None else f"{100 * value:.1f}"


def _round(value: float | None) -> str:
    return "" if value is None else str(round(value))


# -- live ------------------------------------------------------------------------------


@dataclass
class LiveLine:
    skill: str
    waiting: int = 0
    callbacks: int = 0
    oldest_wait_s: int = 0
    agents: Counter[str] = field(default_factory=Counter)
    today: QueueStats | None = None


def agent_column(agent: DeskAgent) -> str:
    """Where an agent shows: their state while they have a call, else their status."""
    if agent.status == OFFLINE and agent.state == IDLE:
        return "offline"
    if agent.state != IDLE:
        return agent.state
    return BREAK if agent.status == BREAK else "idle"


def live(session: Session, target_s: int, now: dt.datetime) -> list[LiveLine]:
    """Each skill's line now: waiting on the phone, callbacks pending, the oldest wait,
    agents by state, and today's figures."""
    lines = {skill: LiveLine(skill) for skill in topics.SKILLS}
    in_line = session.execute(
        sa.select(DeskCall.skill, DeskCall.mode, DeskCall.entered_at).where(
            DeskCall.status.in_(IN_LINE)
        )
    ).all()
    for skill, mode, entered_at in in_line:
        line = lines.setdefault(skill, LiveLine(skill))
        if mode == LINE:
            line.waiting += 1
        else:
            line.callbacks += 1
        waited = int((now - entered_at).total_seconds()) if entered_at else 0
        line.oldest_wait_s = max(line.oldest_wait_s, waited)
    for agent in session.scalars(sa.select(DeskAgent).where(DeskAgent.active)):
        for skill in agent.skills:
            lines.setdefault(skill.skill, LiveLine(skill.skill)).agents[agent_column(agent)] += 1
    today = stats(session, day_start(now), now + dt.timedelta(seconds=1), target_s)
    for skill, line in lines.items():
        line.today = today.get(skill)
    return list(lines.values())


def totals(lines: Iterable[LiveLine]) -> LiveLine:
    total = LiveLine(ALL)
    for line in lines:
        total.waiting += line.waiting
        total.callbacks += line.callbacks
        total.oldest_wait_s = max(total.oldest_wait_s, line.oldest_wait_s)
    return total


# -- Prometheus ------------------------------------------------------------------------


class DeskCollector(Collector):
    """The desk's lines and agents at scrape time, and event counts from the log (every
    process reports the same truth)."""

    def __init__(self, sessions: sessionmaker[Session], target_s: int, clock: Clock) -> None:
        self._sessions = sessions
        self._target_s = target_s
        self._clock = clock

    def collect(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
        now = self._clock.now()
        waiting = GaugeMetricFamily(
            "desk_callers_waiting", "Callers on the phone in the desk's line.", labels=["skill"]
        )
        callbacks = GaugeMetricFamily(
            "desk_callbacks_pending", "Callers waiting for a callback.", labels=["skill"]
        )
        oldest = GaugeMetricFamily(
            "desk_oldest_wait_seconds", "Longest current wait in line.", labels=["skill"]
        )
        agents = GaugeMetricFamily(
            "desk_agents", "Agents with the skill, by state.", labels=["skill", "state"]
        )
        level = GaugeMetricFamily(
            "desk_service_level_ratio",
            "Share answered within the target today (abandoned callers counted).",
            labels=["skill"],
        )
        counted = CounterMetricFamily(
            "desk_queue_events", "Queue events in the log, by kind.", labels=["kind", "skill"]
        )
        with self._sessions() as session:
            for line in live(session, self._target_s, now):
                waiting.add_metric([line.skill], line.waiting)
                callbacks.add_metric([line.skill], line.callbacks)
                oldest.add_metric([line.skill], line.oldest_wait_s)
                for column in AGENT_COLUMNS:
                    agents.add_metric([line.skill, column], line.agents[column])
                if line.today is not None and line.today.service_level is not None:
                    level.add_metric([line.skill], line.today.service_level)
            by_kind: defaultdict[tuple[str, str], int] = defaultdict(int)
            for kind, skill, count in session.execute(
                sa.select(DeskEvent.kind, DeskEvent.skill, sa.func.count()).group_by(
                    DeskEvent.kind, DeskEvent.skill
                )
            ):
                by_kind[(kind, skill or "")] += count
            for (kind, skill), count in sorted(by_kind.items()):
                counted.add_metric([kind, skill], count)
        yield from (waiting, callbacks, oldest, agents, level, counted)
