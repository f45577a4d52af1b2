"""One figure of data used (issue 24): the usage report (1001012), the trail (key 3), the SMS
after the call and the trail page all say this month's data counter. The demo subscribers
have three months of sessions that add up to their counters; a counter that billing set
before sending its sessions makes the trail say its records are not all in, never zero."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from hotline.container import Hotline
from ivr.clock import local_date
from ivr.db import transaction
from ivr.models import Subscriber, UsageCounter
from prompts import spoken
from sms_followup import trail
from sms_followup.trail_page import token_for
from tests.support.caller import DEMO_ARREARS, DEMO_EN, DEMO_ZH, Caller
from tests.support.sms import deliver, handset
from tests.support.trail import NOW, billing_sent_nothing, data, ingest_jsonl, subscriber_id

DATA_CARD, HEAVY = "18600186000", "18500185000"
MB = 1024
GB = 1024 * MB
pytestmark = pytest.mark.clock(NOW, running=False)


def data_counter(hotline: Hotline, msisdn: str) -> UsageCounter:
    with hotline.sessions() as session:
        return session.scalars(
            sa.select(UsageCounter)
            .join(Subscriber)
            .where(
                Subscriber.msisdn == msisdn,
                UsageCounter.kind == "data",
                UsageCounter.period == NOW.strftime("%Y-%m"),
            )
        ).one()


@pytest.mark.parametrize("msisdn", [DEMO_ZH, DEMO_EN, DEMO_ARREARS, DATA_CARD, HEAVY])
def test_the_demo_subscribers_sessions_add_up_to_their_counters(
    hotline: Hotline, msisdn: str
) -> None:
    counter = data_counter(hotline, msisdn)
    with hotline.sessions() as session:
        figures = trail.trail(session, subscriber_id(hotline, msisdn), local_date(NOW))
    assert figures.recorded == figures.months and figures.pending == []
    assert figures.this_month_kb == counter.used
    # Three whole months before this one, each used, and a busiest day with its place.
    assert all(kb > 0 for kb in figures.months.values())
    assert figures.top is not None and figures.top.location
    assert figures.sessions >= 100


def test_the_heavy_user_used_55_gigabytes_this_month_and_over_40_every_month(
    hotline: Hotline,
) -> None:
    with hotline.sessions() as session:
        figures = trail.trail(session, subscriber_id(hotline, HEAVY), local_date(NOW))
    assert spoken.written_data_volume(figures.this_month_kb, "en-US") == "55.2GB"
    assert all(kb > 40 * GB for kb in figures.months.values())


@pytest.mark.parametrize(
    ("msisdn", "used", "this_month", "sms_used", "sms_this_month"),
    [
        (DEMO_ZH, r"本月国内流量已使用(\S+?)，", "本月至今使用{}", "流量已用{}", "本月至今{}"),
        (
            DEMO_EN,
            r"You have used (.+?) of domestic data",
            "and {} so far this month",
            "Data used {},",
            "this month so far {}",
        ),
        (HEAVY, r"You have used (.+?) of domestic", "and {} so far", "Data used {},", "far {}"),
    ],
    ids=["mandarin", "english", "heavy-user"],
)
def test_the_usage_report_and_the_trail_say_the_same_data_used(
    caller: Caller,
    hotline: Hotline,
    msisdn: str,
    used: str,
    this_month: str,
    sms_used: str,
    sms_this_month: str,
) -> None:
    caller.dial("1001012", msisdn)
    match = re.search(used, caller.last_heard)
    assert match is not None, caller.last_heard
    caller.press("3")
    heard = caller.last_heard
    assert this_month.format(match[1]) in heard
    assert "没有上网记录" not in heard and "no data sessions" not in heard
    caller.hang_up()
    deliver(hotline)
    [sms] = handset(hotline, msisdn)
    written = re.search(re.escape(sms_used).replace(r"\{\}", r"(\S+?)"), sms)
    assert written is not None, sms
    assert sms_this_month.format(written[1]) in sms
    assert written[1] not in ("0MB", "<1MB")


def counter_without_sessions(hotline: Hotline, msisdn: str, used: int) -> None:
    """This month's data counter as an account import sets it, before billing has sent any
    of the month's sessions."""
    billing_sent_nothing(hotline, msisdn)
    with transaction(hotline.sessions) as session:
        session.add(
            UsageCounter(
                subscriber_id=session.scalars(Subscriber.by_msisdn(msisdn)).one().id,
                period=NOW.strftime("%Y-%m"),
                kind="data",
                quota=5 * GB,
                used=used,
            )
        )


@pytest.mark.parametrize(
    ("msisdn", "total", "pending", "sms"),
    [
        (
            DEMO_ZH,
            "您近三个月共使用流量零兆，本月至今使用两G。",
            "本月的上网明细尚未全部入账，每日记录稍后补齐。",
            "本月至今2GB（本月明细尚未全部入账）",
        ),
        (
            DEMO_EN,
            "and 2 gigabytes so far this month.",
            "This month's data sessions are not all recorded yet; the daily details will follow.",
            "this month so far 2GB (this month's sessions not all recorded yet)",
        ),
    ],
    ids=["mandarin", "english"],
)
def test_a_counter_ahead_of_the_sessions_is_said_and_the_records_pending_not_zero(
    caller: Caller, hotline: Hotline, msisdn: str, total: str, pending: str, sms: str
) -> None:
    counter_without_sessions(hotline, msisdn, 2 * GB)
    caller.dial("1001012", msisdn).press("3")
    assert total in caller.last_heard
    assert pending in caller.said
    caller.hang_up()
    deliver(hotline)
    [body] = handset(hotline, msisdn)
    assert sms in body


def test_the_page_shows_the_counter_and_says_the_sessions_are_pending(
    hotline: Hotline, client: FlaskClient
) -> None:
    counter_without_sessions(hotline, DEMO_ZH, 2 * GB)
    owner = subscriber_id(hotline, DEMO_ZH)
    page = client.get(f"/usage/{token_for(hotline.settings.secret_key, owner, NOW)}")
    html = page.get_data(as_text=True)
    assert re.search(r'id="this-month">本月至今<b>2GB</b>', html)
    assert "本月的上网明细尚未全部入账" in html
    assert "2031年3月 <small>(明细未全)</small>" in html


def test_sessions_ingested_later_are_added_to_the_counter_they_break_down(
    hotline: Hotline,
) -> None:
    """Ingesting a session adds it to the month's counter and to the trail in one step, so the
    two never drift apart: the trail's month is the counter's."""
    before = data_counter(hotline, DEMO_ZH).used
    report = ingest_jsonl(hotline, [data("2031-03-11T09:00:00", 300 * MB, access="5G")])
    assert report.errors == []
    with hotline.sessions() as session:
        figures = trail.trail(session, subscriber_id(hotline, DEMO_ZH), dt.date(2031, 3, 11))
    assert figures.this_month_kb == data_counter(hotline, DEMO_ZH).used == before + 300 * MB
    assert figures.pending == []
