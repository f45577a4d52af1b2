"""Usage counters set by hand, a reminders run at a chosen moment, and the SMS it wrote."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from hotline.container import Hotline
from ivr.db import transaction
from ivr.models import Subscriber, UsageCounter
from sms_followup import reminders
from sms_followup.models import OutboxMessage, ReminderLog
from tests.support.caller import DEMO_ZH

NOW = dt.datetime(2026, 11, 26, 2, 0)


def usage(
    hotline: Hotline, msisdn: str, kind: str, quota: int, used: int, period: str = "2026-11"
) -> None:
    with transaction(hotline.sessions) as session:
        subscriber = session.scalars(Subscriber.by_msisdn(msisdn)).one()
        counter = session.scalar(
            sa.select(UsageCounter).where(
                UsageCounter.subscriber_id == subscriber.id,
                UsageCounter.kind == kind,
                UsageCounter.period == period,
            )
        )
        if counter is None:
            counter = UsageCounter(subscriber_id=subscriber.id, kind=kind, period=period)
            session.add(counter)
        counter.quota, counter.used = quota, used


def run(hotline: Hotline, now: dt.datetime = NOW) -> reminders.ReminderRun:
    return reminders.run(hotline.sessions, hotline.settings, now)


def sms(hotline: Hotline, to: str = DEMO_ZH) -> list[tuple[str, str]]:
    with hotline.sessions() as session:
        rows = session.scalars(
            sa.select(OutboxMessage).where(OutboxMessage.to_number == to).order_by(OutboxMessage.id)
        )
        return [(m.kind, m.body) for m in rows]


def only_data(hotline: Hotline) -> None:
    """No weekly summaries in the way: the week's is already sent."""
    with transaction(hotline.sessions) as session:
        for subscriber_id in session.scalars(sa.select(Subscriber.id)):
            for kind, threshold, period in (
                ("reminder.data_weekly", "week", "2026-W48"),
                ("reminder.data_daily", "day", "2026-11-26"),
            ):
                session.add(
                    ReminderLog(
                        subscriber_id=subscriber_id, kind=kind, threshold=threshold, period=period
                    )
                )
