"""Spam reports that do something (垃圾短信举报, issue 16): ``举报 <port>`` blocks that
port's messages to the reporter, counts once per reporter in ``ivr ports report``, apart from
the unsubscribes and their rate, and a port reported by many subscribers is flagged for review
with the number of reporters."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from hotline.cli import main
from hotline.container import Hotline
from ivr.db import transaction
from sms_followup import outbox
from sms_followup.models import LocalDelivery, OptOut, Port, SpamReport
from sms_followup.settings import SmsSettings
from sms_followup.worker import OutboxWorker
from tests.support import sms
from tests.support.caller import DEMO_ARREARS, DEMO_EN, DEMO_ZH, TwilioClient

SPAMMER = "106558770001"
OTHER_PORT = "106550211234"


def text_in(twilio: TwilioClient, body: str, from_: str = DEMO_ZH, to: str = "10010") -> list[str]:
    """The handset ``from_`` texts ``body`` to ``to``; the replies in the TwiML answer."""
    return sms.replies(sms.text_in(twilio, body, to=to, from_=from_))


def industry(hotline: Hotline, port: str, to: str) -> tuple[str, str | None]:
    with transaction(hotline.sessions) as session:
        message = outbox.enqueue(
            session,
            SmsSettings.of(hotline.settings),
            kind="industry",
            to=to,
            body="【某商城】双十一大促，回T退订",
            language="zh-CN",
            now=hotline.clock.now(),
            port=port,
        )
        return message.status, message.refused_reason


def deliver(hotline: Hotline) -> None:
    settings = SmsSettings.of(hotline.settings)
    OutboxWorker(hotline.sessions, hotline.sender, settings, hotline.clock).run_once()


def received(hotline: Hotline, number: str) -> list[str]:
    with hotline.sessions() as session:
        return list(
            session.scalars(
                sa.select(LocalDelivery.from_number)
                .where(LocalDelivery.to_number == number)
                .order_by(LocalDelivery.id)
            )
        )


def port_report(hotline: Hotline, *args: str) -> list[list[str]]:
    result = CliRunner().invoke(main, ["ports", "report", *args], obj=hotline)
    assert result.exit_code == 0, result.output
    return [line.split() for line in result.output.splitlines()]


def test_a_report_blocks_that_ports_messages_to_the_reporter_only(
    twilio: TwilioClient, hotline: Hotline
) -> None:
    assert industry(hotline, SPAMMER, DEMO_ZH) == ("pending", None)
    deliver(hotline)
    assert received(hotline, DEMO_ZH) == [SPAMMER]

    [reply] = text_in(twilio, "举报 106558770001")
    assert reply == (
        "【中国联通】已收到您对106558770001的举报，该端口将不再向您发送短信，我们将核查处理。"
    )
    with hotline.sessions() as session:
        opt_out = session.scalars(sa.select(OptOut)).one()
        report = session.scalars(sa.select(SpamReport)).one()
    assert (opt_out.msisdn, opt_out.sender, opt_out.keyword) == (DEMO_ZH, SPAMMER, "举报")
    assert (report.reporter, report.reported_number) == (DEMO_ZH, SPAMMER)

    # The next message from that port to the reporter is refused, to others it still goes,
    # and another port still reaches the reporter.
    assert industry(hotline, SPAMMER, DEMO_ZH) == ("refused", "opted_out")
    assert industry(hotline, SPAMMER, DEMO_EN) == ("pending", None)
    assert industry(hotline, OTHER_PORT, DEMO_ZH) == ("pending", None)
    deliver(hotline)
    assert received(hotline, DEMO_ZH) == [SPAMMER, OTHER_PORT]
    assert received(hotline, DEMO_EN) == [SPAMMER]


def test_a_message_queued_before_the_report_is_refused_when_its_turn_comes(
    twilio: TwilioClient, hotline: Hotline
) -> None:
    assert industry(hotline, SPAMMER, DEMO_ZH) == ("pending", None)
    text_in(twilio, "举报106558770001")
    deliver(hotline)
    assert received(hotline, DEMO_ZH) == []
    with hotline.sessions() as session:
        port = session.get_one(Port, SPAMMER)
    assert (port.sent, port.refused, port.rejections) == (0, 1, 0)  # a report, not a 0000


def test_repeated_reports_count_once_per_reporter_in_the_port_review(
    twilio: TwilioClient, hotline: Hotline
) -> None:
    for number in (DEMO_ZH, DEMO_EN, DEMO_ARREARS, "18600186000"):
        industry(hotline, SPAMMER, number)
    deliver(hotline)
    for _ in range(3):
        text_in(twilio, "举报 106558770001")  # the same subscriber, three times
    text_in(twilio, "JB 10655877 0001")  # and once more, written differently

    lines = port_report(hotline, "--threshold", "50")
    # sent 4, none refused, no unsubscribe (a report is counted apart), and one reporter is
    # not many.
    assert lines[1] == [SPAMMER, "open", "4", "0", "0", "0.0%", "reported", "by", "1"]
    assert lines[-1] == ["0", "port(s)", "at", "or", "over", "50%", "flagged", "for", "review"]

    listed = CliRunner().invoke(main, ["sms", "spam-reports"], obj=hotline)
    assert listed.output.split()[:3] == [SPAMMER, "1", "reporter(s),"]
    with hotline.sessions() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(SpamReport)) == 4
        assert session.scalar(sa.select(sa.func.count()).select_from(OptOut)) == 1


@pytest.mark.postgres
def test_a_port_reported_by_many_subscribers_is_flagged_with_the_number_of_reporters(
    twilio: TwilioClient, hotline: Hotline
) -> None:
    reporters = (DEMO_ZH, DEMO_EN, DEMO_ARREARS)
    for number in (*reporters, "18600186000", "18600186001"):
        industry(hotline, SPAMMER, number)
    deliver(hotline)
    for number in reporters:
        text_in(twilio, "举报 106558770001", from_=number)
        text_in(twilio, "举报 106558770001", from_=number)

    lines = port_report(hotline, "--threshold", "90")
    assert lines[1] == [SPAMMER, "open", "5", "0", "0", "0.0%", "REVIEW", "reported", "by", "3"]
    assert " ".join(lines[-1]) == (
        "1 port(s) at or over 90% or reported by 3+ subscribers flagged for review"
    )

    # One reporter fewer than asked for: not flagged by reports (and 0% < 90%).
    lines = port_report(hotline, "--threshold", "90", "--min-reporters", "4")
    assert lines[1] == [SPAMMER, "open", "5", "0", "0", "0.0%", "reported", "by", "3"]
    assert " ".join(lines[-1]) == "0 port(s) at or over 90% flagged for review"


def test_reports_and_unsubscribes_are_shown_apart(twilio: TwilioClient, hotline: Hotline) -> None:
    """Issue 24: one message sent and three reports made a 300 % rejection rate."""
    industry(hotline, SPAMMER, DEMO_ZH)
    deliver(hotline)
    for number in (DEMO_ZH, DEMO_EN, DEMO_ARREARS):
        text_in(twilio, "举报 106558770001", from_=number)
    text_in(twilio, "0000", from_="18600186000", to=SPAMMER)  # an unsubscribe: counted as one
    lines = port_report(hotline, "--threshold", "50")
    assert lines[0] == ["port", "status", "sent", "refused", "unsubscribed", "rate"]
    assert lines[1] == [SPAMMER, "open", "1", "0", "1", "100.0%", "REVIEW", "reported", "by", "3"]


def test_a_reported_port_that_never_sent_still_shows_up_in_the_review(
    twilio: TwilioClient, hotline: Hotline
) -> None:
    for number in (DEMO_ZH, DEMO_EN, DEMO_ARREARS):
        text_in(twilio, "举报 106558770001", from_=number)
    lines = port_report(hotline)
    assert lines[1][:2] == [SPAMMER, "open"]
    assert lines[1][-4:] == ["REVIEW", "reported", "by", "3"]


def test_the_spam_reports_list_gives_the_last_report_in_shanghai_time(
    twilio: TwilioClient, hotline: Hotline
) -> None:
    """Issue 24: it printed UTC without saying so."""
    text_in(twilio, "举报 106558770001")
    with transaction(hotline.sessions) as session:  # rows store naive UTC
        session.execute(sa.update(SpamReport).values(at=dt.datetime(2026, 11, 28, 16, 5, 0)))
    listed = CliRunner().invoke(main, ["sms", "spam-reports"], obj=hotline)
    assert listed.output == (f"{SPAMMER:<20}     1 reporter(s), last 2026-11-29 00:05:00+08:00\n")


def test_reporting_a_number_that_is_not_a_port_records_it_and_blocks_nothing(
    twilio: TwilioClient, hotline: Hotline
) -> None:
    [reply] = text_in(twilio, "举报 13812345678")
    assert reply == "【中国联通】已收到您对13812345678的举报，我们将核查处理，感谢支持！"
    with hotline.sessions() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(OptOut)) == 0
        assert session.scalar(sa.select(sa.func.count()).select_from(Port)) == 0
        assert session.scalar(sa.select(sa.func.count()).select_from(SpamReport)) == 1


def test_the_reply_is_in_english_for_an_english_subscriber(
    twilio: TwilioClient, hotline: Hotline
) -> None:
    [reply] = text_in(twilio, "REPORT 106558770001", from_=DEMO_EN)
    assert reply == (
        "China Unicom: your report of 106558770001 was received; that port will not text you "
        "again, and it will be reviewed."
    )


@pytest.mark.parametrize("body", ["举报", "举报 【某商城】验证码8812，回T退订"])
def test_report_sent_to_the_port_without_a_number_reports_that_port(
    twilio: TwilioClient, hotline: Hotline, body: str
) -> None:
    assert text_in(twilio, body, to=SPAMMER) == []  # nothing from the port itself
    assert industry(hotline, SPAMMER, DEMO_ZH) == ("refused", "opted_out")
    with hotline.sessions() as session:
        assert session.scalars(sa.select(SpamReport.reported_number)).all() == [SPAMMER]
    [usage] = text_in(twilio, "举报")  # to 10010 it still needs the number
    assert "举报+号码" in usage


def test_the_answer_to_a_report_sent_to_the_port_comes_from_10010(
    twilio: TwilioClient, hotline: Hotline
) -> None:
    """Issue 24: answered from the port and signed 【中国联通】, it looked like the spammer."""
    text_in(twilio, "举报", to=SPAMMER)
    deliver(hotline)
    with hotline.sessions() as session:
        [(sender, body)] = session.execute(
            sa.select(LocalDelivery.from_number, LocalDelivery.body).where(
                LocalDelivery.to_number == DEMO_ZH
            )
        ).all()
    assert (sender, body) == (
        "10010",
        "【中国联通】已收到您对106558770001的举报，该端口将不再向您发送短信，我们将核查处理。",
    )
