"""The trail by voice (1001012, key 3; the queries menu leads there too), by SMS after the
call with a link to the caller's own page, by texting 流量轨迹 / TRAIL, and HELP listing it."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from hotline.container import Hotline
from sms_followup.models import OutboxMessage
from tests.support.caller import DEMO_EN, DEMO_ZH, Caller, TwilioClient
from tests.support.sms import deliver, handset, replies, text_in
from tests.support.trail import NOW, billing_sent_nothing, data, ingest_jsonl

MB = 1024
pytestmark = pytest.mark.clock(NOW, running=False)
LINK = re.compile(r"http://hotline\.test/usage/[A-Za-z0-9_.\-]+")


@pytest.fixture(autouse=True)
def _nothing_from_billing_yet(hotline: Hotline) -> None:
    """These tests count the sessions they ingest: the demo callers start without any."""
    billing_sent_nothing(hotline)


def some_usage(hotline: Hotline) -> None:
    rows: list[dict[str, object] | str] = [
        data("2031-01-15T09:00:00", 2 * 1024 * MB, access="5G", location="杭州"),
        data("2031-01-15T10:00:00", 300 * MB, access="WLAN", location="苏州"),
        data("2031-02-02T09:00:00", 50 * MB, access="4G"),
        data("2031-03-10T20:00:00", 10 * MB, access="3G", location="上海"),
    ]
    english = [{**r, "msisdn": DEMO_EN} for r in rows if isinstance(r, dict)]
    assert ingest_jsonl(hotline, [*rows, *english]).errors == []


def test_1001012_offers_the_trail_and_key_3_reads_it(caller: Caller, hotline: Hotline) -> None:
    some_usage(hotline)
    caller.dial("1001012", DEMO_ZH)
    assert "查询近三个月的流量轨迹请按3" in caller.last_heard
    caller.press("3")
    heard = caller.last_heard
    assert "您近三个月共使用流量二点三G，本月至今使用十兆" in heard
    assert "用量最多的一天是1月15日，使用二点二G，主要通过5G上网，地点杭州" in heard
    caller.press("2")  # the other language
    english = caller.last_heard
    assert "In the last three months you used 2.3 gigabytes of data" in english
    assert "Your busiest day was January 15th" in english


def test_the_queries_menu_reaches_the_trail(caller: Caller, hotline: Hotline) -> None:
    some_usage(hotline)
    caller.dial("10010", DEMO_ZH).press("1").press("1").press("2")
    assert "流量轨迹" in caller.last_heard
    caller.press("3")
    assert "用量最多的一天" in caller.last_heard


def test_after_hangup_the_sms_has_the_totals_and_a_link_to_the_callers_page(
    caller: Caller, hotline: Hotline, client: FlaskClient
) -> None:
    some_usage(hotline)
    caller.dial("1001012", DEMO_ZH).press("3")
    caller.hang_up()
    deliver(hotline)
    [body] = handset(hotline, DEMO_ZH)
    assert "流量轨迹：近三个月2.3GB，本月至今10MB；用量最多1月15日，2.2GB，5G，杭州" in body
    link = LINK.search(body)
    assert link is not None
    # The footer follows after a space: a phone's link ends at the token.
    assert body[link.end()] == " "
    page = client.get(link.group(0).removeprefix("http://hotline.test"))
    assert page.status_code == 200 and "流量轨迹" in page.get_data(as_text=True)


@pytest.mark.parametrize(
    ("word", "number", "expected"),
    [
        ("流量轨迹", DEMO_ZH, "【中国联通】流量轨迹：近三个月2.3GB"),
        ("trail", DEMO_EN, "China Unicom: your data trail, last 3 months 2.3GB"),
        ("ＴＲＡＩＬ", DEMO_ZH, "【中国联通】流量轨迹"),
    ],
)
def test_texting_the_keyword_gets_the_same_sms(
    twilio: TwilioClient, hotline: Hotline, word: str, number: str, expected: str
) -> None:
    some_usage(hotline)
    assert replies(text_in(twilio, word, from_=number)) == []
    with hotline.sessions() as session:
        [message] = session.scalars(
            sa.select(OutboxMessage).where(OutboxMessage.to_number == number)
        ).all()
    assert message.kind == "usage_trail" and message.status == "pending"
    assert message.body.startswith(expected)
    assert LINK.search(message.body)


def test_help_lists_the_trail_keyword(twilio: TwilioClient) -> None:
    [zh] = replies(text_in(twilio, "帮助"))
    assert "流量轨迹" in zh
    [en] = replies(text_in(twilio, "HELP", from_=DEMO_EN))
    assert "TRAIL" in en


def test_a_caller_without_sessions_hears_so(caller: Caller) -> None:
    caller.dial("1001012", DEMO_ZH).press("3")
    assert "近三个月您没有上网记录" in caller.last_heard


def test_the_keyword_to_an_industry_port_is_not_the_trail(
    twilio: TwilioClient, hotline: Hotline
) -> None:
    text_in(twilio, "TRAIL", to="10655021001")
    with hotline.sessions() as session:
        kinds = session.scalars(sa.select(OutboxMessage.kind)).all()
    assert "usage_trail" not in kinds


def test_an_english_trail_names_its_places_in_english(caller: Caller, hotline: Hotline) -> None:
    """南京 is Nanjing by voice and by SMS; a place without a name of its own in the catalog is
    spelled in pinyin in the SMS: no Chinese characters in an English reply."""
    rows: list[dict[str, object] | str] = [
        {**data("2031-02-20T09:00:00", 900 * MB, access="5G", location="南京"), "msisdn": DEMO_EN},
        {
            **data("2031-03-02T09:00:00", 950 * MB, access="4G", location="徐汇区"),
            "msisdn": DEMO_EN,
        },
    ]
    assert ingest_jsonl(hotline, rows).errors == []
    caller.dial("1001012", DEMO_EN).press("3")
    trail_lines = [line for line in caller.said if line.startswith(("In the last", "Your busiest"))]
    assert trail_lines[-1] == (
        "Your busiest day was March 2nd, with 950 megabytes, mostly over 4G."
    )  # 徐汇区 has no audio: left out by voice
    caller.hang_up()
    deliver(hotline)
    [sms] = handset(hotline, DEMO_EN)
    assert "busiest day 02 Mar: 950MB over 4G in Xuhuiqu" in sms
    assert not re.search(r"[\u4e00-\u9fff]", " ".join([*trail_lines, sms]))
    billing_sent_nothing(hotline)
    assert ingest_jsonl(hotline, rows[:1]).errors == []
    again = Caller(caller.twilio).dial("1001012", DEMO_EN).press("3")
    nanjing = "Your busiest day was February 20th, with 900 megabytes, mostly over 5G, in Nanjing."
    assert nanjing in again.said
