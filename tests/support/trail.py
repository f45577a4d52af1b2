"""Data sessions for the usage trail: rows to ingest, a heavy user, the moment the tests
stand at."""

from __future__ import annotations

import datetime as dt
import io
import json
import random

import sqlalchemy as sa

from hotline.container import Hotline
from ivr.clock import SERVICE_TZ, local_date
from ivr.db import transaction
from ivr.models import Subscriber, UsageCounter
from sms_followup import trail
from sms_followup.trail import DataSession
from sms_followup.usage import ingest, read_rows
from tests.support.caller import DEMO_ZH

BARS_JS = """() => [...document.querySelectorAll('#chart rect.bar')].map(r => ({
  day: r.dataset.day, access: r.dataset.access, kb: Number(r.dataset.kb),
  height: r.getBBox().height, fill: r.getAttribute('fill')}))"""


MB = 1024
NOW = dt.datetime(2031, 3, 11, 2, 0)


def local(text: str) -> str:
    """An ISO time in Shanghai."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=SERVICE_TZ).isoformat()


def subscriber_id(hotline: Hotline, msisdn: str) -> int:
    with hotline.sessions() as session:
        return session.scalars(Subscriber.by_msisdn(msisdn)).one().id


def billing_sent_nothing(hotline: Hotline, *msisdns: str) -> None:
    """Take away the data sessions and data counters the demo seed gave *msisdns* (every
    subscriber when none is named): a test that counts what it ingests starts from
    subscribers billing has sent nothing for yet."""
    owners = sa.select(Subscriber.id)
    if msisdns:
        owners = owners.where(Subscriber.msisdn.in_(msisdns))
    with transaction(hotline.sessions) as session:
        session.execute(sa.delete(DataSession).where(DataSession.subscriber_id.in_(owners)))
        session.execute(
            sa.delete(UsageCounter).where(
                UsageCounter.subscriber_id.in_(owners), UsageCounter.kind == "data"
            )
        )


def ingest_jsonl(hotline: Hotline, rows: list[dict[str, object] | str]):  # type: ignore[no-untyped-def]
    text = "\n".join(r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in rows)
    return ingest(hotline.sessions, read_rows(io.StringIO(text + "\n")), "trail.jsonl", NOW)


def data(at: str, kb: int, **extra: object) -> dict[str, object]:
    return {"msisdn": DEMO_ZH, "at": local(at), "kind": "data", "amount": kb, **extra}


def heavy_user(hotline: Hotline, count: int = 30_000, seed: int = 7) -> dict[dt.date, int]:
    """*count* sessions spread over the window for the Mandarin demo subscriber, in place of
    any it had, with each month's data counter their sum (as ingesting them would leave it:
    the counter is the month's figure); the expected KB per day, worked out in Python."""
    billing_sent_nothing(hotline, DEMO_ZH)
    rng = random.Random(seed)
    owner = subscriber_id(hotline, DEMO_ZH)
    start = trail.window_start(local_date(NOW))
    span = (local_date(NOW) - start).days + 1
    expected: dict[dt.date, int] = {}
    rows = []
    for _ in range(count):
        day = start + dt.timedelta(days=rng.randrange(span))
        at = dt.datetime.combine(day, dt.time(rng.randrange(24), rng.randrange(60)))
        started = at.replace(tzinfo=SERVICE_TZ).astimezone(dt.UTC).replace(tzinfo=None)
        kb = rng.randrange(1, 200 * MB)
        rows.append(
            {
                "subscriber_id": owner,
                "started_at": started,
                "day": day,
                "kb": kb,
                "duration_s": rng.randrange(1, 7200),
                "access": rng.choice([*trail.ACCESS_TYPES, None]),
                "location": rng.choice(["上海", "杭州", "Tokyo"]),
            }
        )
        expected[day] = expected.get(day, 0) + kb
    by_month: dict[str, int] = {}
    for day, kb in expected.items():
        by_month[day.strftime("%Y-%m")] = by_month.get(day.strftime("%Y-%m"), 0) + kb
    with transaction(hotline.sessions) as session:
        session.execute(sa.insert(DataSession), rows)
        session.execute(
            sa.insert(UsageCounter),
            [
                {"subscriber_id": owner, "period": month, "kind": "data", "quota": 0, "used": kb}
                for month, kb in by_month.items()
            ],
        )
    return expected
