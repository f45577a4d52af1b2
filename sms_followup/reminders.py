"""Proactive SMS reminders from usage counters and roaming days (`ivr reminders run`).

Each reminder has a key (subscriber, kind, threshold, period) written to
``sms_reminder_log`` in the same transaction as its outbox message, with the database's
unique constraint deciding: running the job twice, or two jobs at once, sends each reminder
exactly once per threshold per period. Reminders found in the quiet hours wait in the outbox
until the morning; cost warnings (data cap, out-of-package data, roaming, maritime networks)
go at once.

A subscriber gets one SMS from the job at a time, at most one in any :data:`SPACING`: when
several are due at once, the first in :data:`PRECEDENCE` (a notice about the line, then the
welcome to a country before its warnings, the quota used up before the data over it,
warnings before reminders, summaries last); the others are not logged and are decided afresh
by the next run (every 10 minutes), so each arrives on its own and with current figures.
While one waits for the morning, the rest that would wait too stay undecided, so the morning
brings one.

| kind                    | when                                            | period     |
|-------------------------|-------------------------------------------------|------------|
| reminder.data_low       | remaining free data under a threshold (20%, 5%) | month      |
| reminder.voice_low      | remaining free minutes under a threshold        | month      |
| reminder.sms_low        | remaining free SMS under a threshold            | month      |
| reminder.voice_used_up  | the free minutes are used up                    | month      |
| reminder.sms_used_up    | the free SMS are used up                        | month      |
| warning.data_cap        | the data quota is used up                       | month      |
| warning.data_over       | out-of-package data crosses another step        | month      |
| reminder.upgrade        | over the data quota in N of the last 3 months   | quarter    |
| reminder.data_weekly    | phones: data summary                            | ISO week   |
| reminder.data_daily     | data cards: data summary                        | day        |
| warning.roaming_step    | the day's roaming data crosses another 10 MB    | day        |
| reminder.roaming_daily  | yesterday's roaming, summed up                  | day        |
| warning.maritime        | attached to a maritime-satellite network        | day        |
| roaming_landing         | first attach in a country on a trip (tariffs);  | trip       |
|                         | goes at once (found by ``sms_followup.roaming``)|            |

Warnings before suspension (停机预警), checked by the same job on every run, one of each per
*episode* (from the balance first running low until it is healthy again):

| kind                    | when                                                  | quiet hours |
|-------------------------|-------------------------------------------------------|-------------|
| warning.balance_low     | the balance is under ``BALANCE_WARNING_FEN``          | wait        |
| warning.balance_run_out | this month's spending uses the balance up in 3 days   | wait        |
| warning.suspension      | arrears: the line is suspended; the notice's date     | go at once  |
| service.line_reopened   | a payment restored the line suspended for arrears     | wait        |

A line the complaints desk reopened (缴费延开) already had its SMS from there: the job only
closes the episode when the balance is healthy again.
"""

from __future__ import annotations

import datetime as dt
import logging
import tomllib
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from ivr.clock import local_date
from ivr.db import transaction
from ivr.logs import log_event
from ivr.models import Subscriber, UsageCounter
from prompts.countries import country_name
from prompts.spoken import KB_PER_MB, written_data_volume, written_money
from sms_followup import outbox, roaming
from sms_followup.models import OutboxMessage, OutboxStatus, ReminderLog, RoamingDay
from sms_followup.ports import insert_ignoring_duplicates
from sms_followup.settings import SmsSettings
from sms_followup.templates import text

logger = logging.getLogger("sms_followup.reminders")
RULES_FILE = Path(__file__).with_name("data") / "reminder_rules.toml"


@dataclass(frozen=True)
class Rules:
    remaining_pct: tuple[int, ...] = (20, 5)
    over_step_mb: int = 1024
    upgrade_after_months: int = 2
    roaming_step_mb: int = 10
    weekly_summary: bool = True
    daily_summary: bool = False


def load_rules(settings: SmsSettings) -> dict[str, Any]:
    path = Path(settings.reminder_rules_file) if settings.reminder_rules_file else RULES_FILE
    with path.open("rb") as fh:
        return tomllib.load(fh)


def rules_for(subscriber: Subscriber, table: Mapping[str, Any]) -> Rules:
    """The default rules, then the device type's, then the plan's."""
    merged: dict[str, Any] = {}
    for layer in (
        table.get("default", {}),
        table.get("device", {}).get(subscriber.device_type, {}),
        table.get("plans", {}).get(subscriber.plan, {}),
    ):
        merged.update(layer)
    if "remaining_pct" in merged:
        merged["remaining_pct"] = tuple(
            sorted((int(p) for p in merged["remaining_pct"]), reverse=True)
        )
    known = set(Rules.__dataclass_fields__)
    return Rules(**{k: v for k, v in merged.items() if k in known})


@dataclass(frozen=True)
class Reminder:
    """One reminder decided: its key, the text parameters, and lesser keys it stands for."""

    kind: str
    threshold: str
    period: str
    params: dict[str, str]
    covers: tuple[str, ...] = ()

    @property
    def at_once(self) -> bool:
        """Day or night: cost warnings, and the landing SMS with the rates abroad."""
        return _goes_at_once(self.kind)


def _goes_at_once(kind: str) -> bool:
    return kind == roaming.LANDING or outbox.category(kind) is outbox.Category.COST_WARNING


@dataclass
class ReminderRun:
    sent: Counter[str] = field(default_factory=Counter)
    for_morning: int = 0
    refused: int = 0
    already_sent: int = 0
    waiting: int = 0  # due, but not now (another went first, or lately): a later run's
    # Warnings before suspension, suspension notices and reopenings (not in ``total``).
    balance: Counter[str] = field(default_factory=Counter)

    @property
    def total(self) -> int:
        return sum(self.sent.values())


def run(
    sessions: sessionmaker[Session],
    settings: SmsSettings,
    now: dt.datetime,
    subscriber_ids: Iterable[int] | None = None,
) -> ReminderRun:
    """Decide and queue every reminder due at naive-UTC ``now``; one transaction per
    subscriber, the subscriber's row locked so two jobs take turns."""
    table = load_rules(settings)
    with sessions() as session:
        query = sa.select(Subscriber.id).order_by(Subscriber.id)
        if subscriber_ids is not None:
            query = query.where(Subscriber.id.in_(list(subscriber_ids)))
        ids = list(session.scalars(query))
    result = ReminderRun()
    morning = outbox.quiet_until(now, settings)
    for subscriber_id in ids:
        with transaction(sessions) as session:
            subscriber = session.scalar(
                sa.select(Subscriber).where(Subscriber.id == subscriber_id).with_for_update()
            )
            if subscriber is None:
                continue
            watch_balance(session, settings, subscriber, now, morning, result)
            if subscriber.line_status != "active":
                continue
            found = decide(session, subscriber, rules_for(subscriber, table), now)
            _queue_first(session, settings, subscriber, found, now, morning, result)
    log_event(
        logger,
        "reminders.run",
        sent=dict(result.sent),
        for_morning=result.for_morning,
        refused=result.refused,
        already_sent=result.already_sent,
        waiting=result.waiting,
        balance=dict(result.balance),
    )
    return result


PRECEDENCE: tuple[str, ...] = (
    roaming.LANDING,  # the welcome to a country and its rates, before any warning there
    "warning.maritime",
    "warning.roaming_step",
    "warning.data_cap",  # the quota used up, before the data over it
    "warning.data_over",
    "reminder.data_low",
    "reminder.voice_used_up",
    "reminder.voice_low",
    "reminder.sms_used_up",
    "reminder.sms_low",
    "reminder.roaming_daily",
    "reminder.upgrade",
    "reminder.data_daily",
    "reminder.data_weekly",
)
"""What a subscriber is told first when several reminders are due at once."""
SPACING = dt.timedelta(minutes=5)
"""At most one SMS of this job to a subscriber in this time: one a run at the job's usual
10 minutes, and a run right after another (an import's, two at once) adds none."""


def _queue_first(
    session: Session,
    settings: SmsSettings,
    subscriber: Subscriber,
    found: list[Reminder],
    now: dt.datetime,
    morning: dt.datetime | None,
    result: ReminderRun,
) -> None:
    """Queue the first of *found* (by :data:`PRECEDENCE`) not sent before, unless this job
    texted the subscriber within :data:`SPACING` (another run, or a notice about the line
    in this one); the others wait for a later run. A refused one (opted out) is logged and
    the next is tried, since the subscriber got nothing. While one waits for the morning,
    only what goes at once (cost warnings, the landing SMS) may be queued beside it."""
    logged = _logged(session, subscriber, found)
    due = sorted(
        (r for r in found if (r.kind, r.threshold, r.period) not in logged),
        key=lambda r: PRECEDENCE.index(r.kind),
    )
    result.already_sent += len(found) - len(due)
    recent, held = _spacing(session, subscriber, now)
    tried = 0
    for reminder in due:
        if recent or (held and not reminder.at_once):
            continue
        tried += 1
        if _queue(session, settings, subscriber, reminder, now, morning, result):
            break
    result.waiting += len(due) - tried


def _logged(
    session: Session, subscriber: Subscriber, found: list[Reminder]
) -> set[tuple[str, str, str]]:
    """The keys among *found* already in the reminder log."""
    if not found:
        return set()
    rows = session.execute(
        sa.select(ReminderLog.kind, ReminderLog.threshold, ReminderLog.period).where(
            ReminderLog.subscriber_id == subscriber.id,
            ReminderLog.period.in_({r.period for r in found}),
        )
    )
    return {(kind, threshold, period) for kind, threshold, period in rows}


def _spacing(session: Session, subscriber: Subscriber, now: dt.datetime) -> tuple[bool, bool]:
    """Whether an SMS of this job to *subscriber* went (or goes) within the last
    :data:`SPACING`, and whether one still waits for a later time (the morning)."""
    due = session.scalars(
        sa.select(OutboxMessage.next_attempt_at)
        .join(ReminderLog, ReminderLog.outbox_id == OutboxMessage.id)
        .where(
            ReminderLog.subscriber_id == subscriber.id,
            OutboxMessage.status != OutboxStatus.REFUSED,
            OutboxMessage.next_attempt_at > now - SPACING,
        )
    ).all()
    return any(at <= now for at in due), any(at > now for at in due)


def _queue(
    session: Session,
    settings: SmsSettings,
    subscriber: Subscriber,
    reminder: Reminder,
    now: dt.datetime,
    morning: dt.datetime | None,
    result: ReminderRun,
) -> bool:
    """Log *reminder* and write its SMS; True when it is on its way (not refused, and not
    taken by another job meanwhile)."""
    key = {"subscriber_id": subscriber.id, "kind": reminder.kind, "period": reminder.period}
    if not insert_ignoring_duplicates(session, ReminderLog, threshold=reminder.threshold, **key):
        result.already_sent += 1
        return False
    for lesser in reminder.covers:
        kind, _, threshold = lesser.rpartition(":")
        insert_ignoring_duplicates(
            session, ReminderLog, **(key | {"kind": kind, "threshold": threshold})
        )
    due = None if reminder.at_once else morning
    message = outbox.enqueue(
        session,
        settings,
        kind=reminder.kind,
        to=subscriber.msisdn,
        body=text(reminder.kind, subscriber.language, **reminder.params),
        language=subscriber.language,
        now=now,
        due=due,
    )
    session.execute(
        sa.update(ReminderLog)
        .where(
            ReminderLog.subscriber_id == subscriber.id,
            ReminderLog.kind == reminder.kind,
            ReminderLog.threshold == reminder.threshold,
            ReminderLog.period == reminder.period,
        )
        .values(outbox_id=message.id)
    )
    if message.status == "refused":
        result.refused += 1
        return False
    result.sent[reminder.kind] += 1
    result.for_morning += due is not None
    return True


# -- warnings before suspension (停机预警) ------------------------------------------------

ACTIVE = "active"
SUSPENDED_ARREARS = "suspended_arrears"  # the status complaints.tickets reopens from
BALANCE_LOW = "warning.balance_low"
BALANCE_RUN_OUT = "warning.balance_run_out"  # logged as BALANCE_LOW: one warning an episode
SUSPENSION = "warning.suspension"
LINE_REOPENED = "service.line_reopened"
RECOVERED = "balance.recovered"  # no SMS: the episode is over
EPISODE = "episode"
RUN_OUT_DAYS = 3


def paid_up(subscriber: Subscriber) -> bool:
    """Suspended for arrears, and the balance is positive again: the line may reopen (by
    the reminders job, or at once when the caller complains of it, complaints.tickets)."""
    account = subscriber.account
    return (
        subscriber.line_status == SUSPENDED_ARREARS
        and account is not None
        and account.balance_fen > 0
    )


def days_to_run_out(balance_fen: int, month_charges_fen: int, today: dt.date) -> int | None:
    """Whole days (rounded up) until *balance_fen* is spent at this month's daily rate so
    far; None when nothing has been spent this month."""
    if month_charges_fen <= 0:
        return None
    return max(0, -(-balance_fen * today.day // month_charges_fen))


@dataclass(frozen=True)
class LowBalance:
    """The warning before suspension a balance calls for: :data:`BALANCE_LOW`, or
    :data:`BALANCE_RUN_OUT` with the whole days left (at least 1)."""

    kind: str
    days: int | None = None


def low_balance(
    balance_fen: int, month_charges_fen: int, today: dt.date, warning_fen: int
) -> LowBalance | None:
    """Whether a balance not in arrears is low: under *warning_fen*, or used up within
    :data:`RUN_OUT_DAYS` at this month's spending; None when it is healthy. The warning SMS
    and the balance said on 1001011 both follow this."""
    if balance_fen < warning_fen:
        return LowBalance(BALANCE_LOW)
    days = days_to_run_out(balance_fen, month_charges_fen, today)
    if days is not None and days <= RUN_OUT_DAYS:
        return LowBalance(BALANCE_RUN_OUT, max(days, 1))
    return None


def suspended_since(session: Session, subscriber: Subscriber) -> dt.datetime | None:
    """When this job suspended the line for arrears (naive UTC; its notice says the day),
    while it is suspended so; None otherwise."""
    if subscriber.line_status != SUSPENDED_ARREARS:
        return None
    return session.scalar(
        sa.select(ReminderLog.at)
        .where(ReminderLog.subscriber_id == subscriber.id, ReminderLog.kind == SUSPENSION)
        .order_by(ReminderLog.at.desc())
        .limit(1)
    )


def watch_balance(
    session: Session,
    settings: SmsSettings,
    subscriber: Subscriber,
    now: dt.datetime,
    morning: dt.datetime | None,
    result: ReminderRun,
) -> None:
    """Warn before suspension, suspend for arrears, reopen a paid-up line, each once per
    episode, in the caller's transaction (the subscriber's row is locked)."""
    account = subscriber.account
    if account is None or subscriber.line_status not in (ACTIVE, SUSPENDED_ARREARS):
        return
    balance, language, today = account.balance_fen, subscriber.language, local_date(now)
    episode = _episode(session, subscriber)
    notice = _BalanceNotice(session, settings, subscriber, episode, now, result)
    if subscriber.line_status == ACTIVE and balance < 0:
        subscriber.line_status = SUSPENDED_ARREARS
        log_event(logger, "line.suspended", subscriber_id=subscriber.id, balance_fen=balance)
        date = _short_date(today, language)
        notice.send(SUSPENSION, None, arrears=written_money(-balance, language), date=date)
        notice.mark(BALANCE_LOW)  # the suspension notice stands for the warning
        return
    if subscriber.line_status == SUSPENDED_ARREARS:
        if not paid_up(subscriber):
            return
        subscriber.line_status = ACTIVE
        log_event(logger, "line.reopened", subscriber_id=subscriber.id, balance_fen=balance)
        written = written_money(balance, language)
        notice.send(LINE_REOPENED, morning, balance=written, date=_short_date(today, language))
    low = low_balance(balance, account.month_charges_fen, today, settings.balance_warning_fen)
    if low is not None and low.kind == BALANCE_LOW:
        threshold = written_money(settings.balance_warning_fen, language)
        notice.send(
            BALANCE_LOW, morning, balance=written_money(balance, language), threshold=threshold
        )
    elif low is not None:
        params = {
            "balance": written_money(balance, language),
            "days": _days(low.days or 1, language),
        }
        notice.send(BALANCE_RUN_OUT, morning, log_as=BALANCE_LOW, **params)
    elif notice.logged():
        notice.mark(RECOVERED)  # healthy again: the next dip is a new episode


def _episode(session: Session, subscriber: Subscriber) -> str:
    ended = session.scalar(
        sa.select(sa.func.count()).where(
            ReminderLog.subscriber_id == subscriber.id, ReminderLog.kind == RECOVERED
        )
    )
    return str((ended or 0) + 1)


@dataclass
class _BalanceNotice:
    session: Session
    settings: SmsSettings
    subscriber: Subscriber
    episode: str
    now: dt.datetime
    result: ReminderRun

    def _key(self, kind: str) -> dict[str, Any]:
        return {
            "subscriber_id": self.subscriber.id,
            "kind": kind,
            "threshold": self.episode,
            "period": EPISODE,
        }

    def mark(self, kind: str) -> bool:
        return insert_ignoring_duplicates(self.session, ReminderLog, **self._key(kind))

    def logged(self) -> bool:
        """Anything said in this episode (a warning, the suspension, a reopening)."""
        found = self.session.scalar(
            sa.select(ReminderLog.id)
            .where(
                ReminderLog.subscriber_id == self.subscriber.id,
                ReminderLog.kind.in_([BALANCE_LOW, SUSPENSION, LINE_REOPENED]),
                ReminderLog.threshold == self.episode,
                ReminderLog.period == EPISODE,
            )
            .limit(1)
        )
        return found is not None

    def send(
        self, kind: str, due: dt.datetime | None, log_as: str | None = None, **params: str
    ) -> None:
        """Queue *kind*'s SMS unless this episode had it (or what it is logged as)."""
        if not self.mark(log_as or kind):
            return
        language = self.subscriber.language
        message = outbox.enqueue(
            self.session,
            self.settings,
            kind=kind,
            to=self.subscriber.msisdn,
            body=text(kind, language, **params),
            language=language,
            now=self.now,
            due=due,
        )
        self.session.execute(
            sa.update(ReminderLog)
            .where(*(getattr(ReminderLog, k) == v for k, v in self._key(log_as or kind).items()))
            .values(outbox_id=message.id)
        )
        if message.status != "refused":  # these are never refused today; kept honest
            self.result.balance[kind] += 1


# -- deciding ---------------------------------------------------------------------------


def decide(
    session: Session, subscriber: Subscriber, rules: Rules, now: dt.datetime
) -> list[Reminder]:
    today = local_date(now)
    month = today.strftime("%Y-%m")
    language = subscriber.language
    counters = {
        c.kind: c
        for c in session.scalars(
            sa.select(UsageCounter).where(
                UsageCounter.subscriber_id == subscriber.id, UsageCounter.period == month
            )
        )
    }
    found: list[Reminder] = []
    data = counters.get("data")
    if data is not None and data.quota > 0:
        found.extend(_data(data, rules, month, language))
    for kind in ("voice", "sms"):
        counter = counters.get(kind)
        if counter is not None and counter.quota > 0:
            found.extend(
                _remaining(counter, rules, month, str(max(counter.quota - counter.used, 0)))
            )
    if data is not None:
        found.extend(_upgrade(session, subscriber, rules, today))
        found.extend(_summary(data, subscriber, rules, today, language))
    found.extend(_roaming(session, subscriber, rules, today, language))
    found.extend(_landings(session, subscriber, rules, now))
    return found


def _landings(
    session: Session, subscriber: Subscriber, rules: Rules, now: dt.datetime
) -> list[Reminder]:
    """The landing SMS for each country first attached to on this trip, once per country
    and trip (``sms_followup.roaming``)."""
    by_sea, language = subscriber.roaming_by_sea, subscriber.language
    return [
        Reminder(
            roaming.LANDING,
            landing.code,
            landing.trip,
            roaming.landing_params(landing.code, language, rules.roaming_step_mb, by_sea),
        )
        for landing in roaming.landings(session, subscriber.id, now)
    ]


def _remaining(counter: UsageCounter, rules: Rules, month: str, left: str) -> list[Reminder]:
    """A low-allowance reminder, or, once nothing is left, one that says it is used up
    (已用完 / "used up", never 剩余0条) and stands for every lower threshold."""
    remaining = max(counter.quota - counter.used, 0)
    if remaining == 0:
        lows = tuple(f"reminder.{counter.kind}_low:{pct}" for pct in rules.remaining_pct)
        return [Reminder(f"reminder.{counter.kind}_used_up", "100", month, {}, lows)]
    crossed = [pct for pct in rules.remaining_pct if remaining * 100 < pct * counter.quota]
    if not crossed:
        return []
    kind = f"reminder.{counter.kind}_low"
    worst = min(crossed)
    covers = tuple(f"{kind}:{pct}" for pct in crossed if pct != worst)
    return [Reminder(kind, str(worst), month, {"remaining": left, "pct": str(worst)}, covers)]


def _data(counter: UsageCounter, rules: Rules, month: str, language: str) -> list[Reminder]:
    if counter.used < counter.quota:
        left = written_data_volume(counter.quota - counter.used, language)
        return _remaining(counter, rules, month, left)
    lows = tuple(f"reminder.data_low:{pct}" for pct in rules.remaining_pct)
    quota = written_data_volume(counter.quota, language)
    found = [Reminder("warning.data_cap", "100", month, {"quota": quota}, lows)]
    over = counter.used - counter.quota
    step = over // (rules.over_step_mb * KB_PER_MB) if rules.over_step_mb > 0 else 0
    if step >= 1:
        params = {"over": written_data_volume(over, language)}
        found.append(Reminder("warning.data_over", str(step), month, params))
    return found


def _upgrade(
    session: Session, subscriber: Subscriber, rules: Rules, today: dt.date
) -> list[Reminder]:
    if rules.upgrade_after_months <= 0:
        return []
    months = _last_months(today, 3)
    over = session.scalar(
        sa.select(sa.func.count()).where(
            UsageCounter.subscriber_id == subscriber.id,
            UsageCounter.kind == "data",
            UsageCounter.period.in_(months),
            UsageCounter.quota > 0,
            UsageCounter.used > UsageCounter.quota,
        )
    )
    if (over or 0) < rules.upgrade_after_months:
        return []
    quarter = f"{today.year}-Q{(today.month - 1) // 3 + 1}"
    return [Reminder("reminder.upgrade", "over", quarter, {"months": str(over)})]


def _summary(
    counter: UsageCounter, subscriber: Subscriber, rules: Rules, today: dt.date, language: str
) -> list[Reminder]:
    params = {
        "date": _short_date(today, language),
        "used": written_data_volume(counter.used, language),
        "remaining": written_data_volume(max(counter.quota - counter.used, 0), language),
    }
    found = []
    if rules.daily_summary:
        found.append(Reminder("reminder.data_daily", "day", today.isoformat(), params))
    if rules.weekly_summary:
        year, week, _ = today.isocalendar()
        found.append(Reminder("reminder.data_weekly", "week", f"{year}-W{week:02d}", params))
    return found


def _roaming(
    session: Session, subscriber: Subscriber, rules: Rules, today: dt.date, language: str
) -> list[Reminder]:
    yesterday = today - dt.timedelta(days=1)
    days = {
        d.day: d
        for d in session.scalars(
            sa.select(RoamingDay).where(
                RoamingDay.subscriber_id == subscriber.id, RoamingDay.day.in_([today, yesterday])
            )
        )
    }
    found = []
    current = days.get(today)
    if current is not None:
        country = country_name(current.country, language) or text("roaming.abroad", language)
        step_kb = rules.roaming_step_mb * KB_PER_MB
        step = current.data_kb // step_kb if step_kb > 0 else 0
        if step >= 1:
            params = {"country": country, "used": written_data_volume(current.data_kb, language)}
            found.append(Reminder("warning.roaming_step", str(step), today.isoformat(), params))
        if current.maritime:
            params = {
                "network": current.network or "-",
                "data": roaming.maritime_data_rate(language),
            }
            found.append(Reminder("warning.maritime", "attach", today.isoformat(), params))
    before = days.get(yesterday)
    if before is not None and before.data_kb > 0:
        params = {
            "date": _short_date(yesterday, language),
            "country": country_name(before.country, language) or text("roaming.abroad", language),
            "used": written_data_volume(before.data_kb, language),
        }
        found.append(Reminder("reminder.roaming_daily", "day", yesterday.isoformat(), params))
    return found


def _last_months(today: dt.date, count: int) -> list[str]:
    year, month, periods = today.year, today.month, []
    for _ in range(count):
        periods.append(f"{year:04d}-{month:02d}")
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return periods


def _days(n: int, language: str) -> str:
    """A number of days as the SMS writes it: 3天, 3 days, 1 day."""
    if language == "zh-CN":
        return f"{n}天"
    return "1 day" if n == 1 else f"{n} days"


def _short_date(day: dt.date, language: str) -> str:
    return f"{day.month}月{day.day}日" if language == "zh-CN" else day.strftime("%d %b")
