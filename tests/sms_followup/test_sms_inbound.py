"""Inbound SMS (/sms/incoming): 0000 from industry ports, STOP/TD/退订, HELP/帮助, 举报 spam
reports, value-added-service double confirmation and announced deductions, port review."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from hotline.cli import main
from hotline.container import Hotline
from ivr.db import transaction
from ivr.models import Account, Subscriber
from sms_followup import outbox, ports, vas
from sms_followup.models import (
    InboundSms,
    LocalDelivery,
    OptOut,
    OutboxMessage,
    Port,
    SpamReport,
    VasCharge,
    VasOrder,
)
from sms_followup.worker import OutboxWorker
from tests.support.caller import DEMO_EN, DEMO_ZH, STRANGER, TwilioClient
from tests.support.sms import replies, text_in
from tests.support.sms_harness import PORT_021_FROM, Wire

PORT = "106550211234"
OTHER_PORT = "106558770001"


def queued(hotline: Hotline, to: str = DEMO_ZH) -> list[OutboxMessage]:
    with hotline.sessions() as session:
        return list(
            session.scalars(
                sa.select(OutboxMessage)
                .where(OutboxMessage.to_number == to)
                .order_by(OutboxMessage.id)
            )
        )


def industry(hotline: Hotline, port: str = PORT, to: str = DEMO_ZH, body: str = "促销") -> Any:
    with transaction(hotline.sessions) as session:
        message = outbox.enqueue(
            session,
            hotline.settings,
            kind="industry",
            to=to,
            body=body,
            language="zh-CN",
            now=hotline.clock.now(),
            port=port,
        )
        return message.status, message.refused_reason


def deliver(hotline: Hotline) -> Any:
    return OutboxWorker(
        hotline.sessions, hotline.sender, hotline.settings, hotline.clock
    ).run_once()


def handset(hotline: Hotline, number: str = DEMO_ZH) -> list[tuple[str, str]]:
    with hotline.sessions() as session:
        rows = session.scalars(
            sa.select(LocalDelivery)
            .where(LocalDelivery.to_number == number)
            .order_by(LocalDelivery.id)
        )
        return [(r.from_number, r.body) for r in rows]


def port_counters(hotline: Hotline, port: str = PORT) -> tuple[int, int, int, str]:
    with hotline.sessions() as session:
        p = session.get_one(Port, port)
        return p.sent, p.refused, p.rejections, p.status


# -- 0000 and industry ports ---------------------------------------------------------------


@pytest.mark.parametrize("port", ["106550211234", "10655877999"])
@pytest.mark.parametrize("word", ["0000", "００００", " 0000 ", "TD", "td", "退订", "STOP"])
def test_0000_or_unsubscribe_to_an_industry_port_unsubscribes_at_once(
    twilio: TwilioClient, hotline: Hotline, port: str, word: str
) -> None:
    assert replies(text_in(twilio, word, to=port)) == []
    with hotline.sessions() as session:
        opt_out = session.scalars(sa.select(OptOut)).one()
    assert (opt_out.msisdn, opt_out.sender) == (DEMO_ZH, port)
    [confirmation] = queued(hotline)
    assert confirmation.from_number == "10010" and confirmation.status == "pending"
    assert confirmation.body == f"【中国联通】您已退订端口{port}的短信，该端口将不再向您发送。"
    assert port_counters(hotline, port)[2] == 1


@pytest.mark.postgres
def test_later_sends_from_that_port_are_refused_and_logged_never_dropped(
    twilio: TwilioClient, hotline: Hotline, caplog: pytest.LogCaptureFixture
) -> None:
    text_in(twilio, "0000", to=PORT)
    with caplog.at_level(logging.WARNING, logger="sms_followup.outbox"):
        assert industry(hotline) == ("refused", "opted_out")
    assert any(r.msg == "sms.refused" and r.reason == "opted_out" for r in caplog.records)  # type: ignore[attr-defined]
    assert industry(hotline, OTHER_PORT) == ("pending", None)  # other ports still reach them
    assert industry(hotline, to=DEMO_EN) == ("pending", None)  # and the port others
    deliver(hotline)
    assert [body for _, body in handset(hotline)][-1] == "促销"
    assert [sender for sender, _ in handset(hotline)] == ["10010", OTHER_PORT]
    assert port_counters(hotline) == (1, 1, 1, "open")


def test_an_unsubscribe_that_arrives_before_the_send_stops_a_queued_message(
    twilio: TwilioClient, hotline: Hotline
) -> None:
    industry(hotline)
    text_in(twilio, "0000", to=PORT)
    result = deliver(hotline)
    assert (result.refused, result.sent) == (1, 1)  # refused, and the confirmation sent
    assert [m.status for m in queued(hotline)] == ["refused", "sent"]
    assert handset(hotline) == [
        ("10010", f"【中国联通】您已退订端口{PORT}的短信，该端口将不再向您发送。")
    ]


def test_0000_to_the_service_number_explains_where_to_send_it(
    twilio: TwilioClient, hotline: Hotline
) -> None:
    [reply] = replies(text_in(twilio, "0000"))
    assert "10655021" in reply and "10655877" in reply
    with hotline.sessions() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(OptOut)) == 0


def test_ports_report_flags_ports_over_the_threshold_and_close_stops_them(
    twilio: TwilioClient, hotline: Hotline, monkeypatch: pytest.MonkeyPatch
) -> None:
    subscribers = [DEMO_ZH, DEMO_EN, "13600136000", "18600186000"]
    for number in subscribers:
        industry(hotline, PORT, to=number)
        industry(hotline, OTHER_PORT, to=number)
    deliver(hotline)
    text_in(twilio, "0000", to=PORT, from_=DEMO_ZH)
    text_in(twilio, "退订", to=PORT, from_=DEMO_EN)
    text_in(twilio, "0000", to=OTHER_PORT, from_=DEMO_ZH)
    runner = CliRunner()
    report = runner.invoke(main, ["ports", "report", "--threshold", "40"], obj=hotline)
    assert report.exit_code == 0, report.output
    lines = report.output.splitlines()
    assert lines[1].split() == [PORT, "open", "4", "0", "2", "50.0%", "REVIEW"]
    assert lines[2].split() == [OTHER_PORT, "open", "4", "0", "1", "25.0%"]
    assert lines[-1] == "1 port(s) at or over 40% flagged for review"

    industry(hotline, PORT, to="18600186000")  # queued before the port is closed
    closed = runner.invoke(main, ["ports", "close", PORT], obj=hotline)
    assert closed.output.strip() == f"port {PORT} closed"
    assert industry(hotline, PORT, to="13600136000") == ("refused", "port_closed")
    assert deliver(hotline).refused == 1
    assert port_counters(hotline) == (4, 2, 2, "closed")
    assert (
        "REVIEW"
        not in runner.invoke(main, ["ports", "report", "--threshold", "40"], obj=hotline).output
    )


# -- STOP / TD / 退订 / START to the service number ------------------------------------------


@pytest.mark.parametrize("word", ["TD", "退订", "ＴＤ"])
def test_td_to_the_service_number_stops_reminders_but_not_service_messages(
    twilio: TwilioClient, hotline: Hotline, word: str
) -> None:
    assert replies(text_in(twilio, word)) == []
    [confirmation] = queued(hotline)
    assert confirmation.body.startswith("【中国联通】您已退订10010的提醒短信")
    with transaction(hotline.sessions) as session:
        reminder = outbox.enqueue(
            session,
            hotline.settings,
            kind="reminder.data_low",
            to=DEMO_ZH,
            body="r",
            language="zh-CN",
            now=hotline.clock.now(),
        )
        warning = outbox.enqueue(
            session,
            hotline.settings,
            kind="warning.maritime",
            to=DEMO_ZH,
            body="w",
            language="zh-CN",
            now=hotline.clock.now(),
        )
        notice = outbox.enqueue(
            session,
            hotline.settings,
            kind="vas.deduction",
            to=DEMO_ZH,
            body="d",
            language="zh-CN",
            now=hotline.clock.now(),
        )
        assert (reminder.status, reminder.refused_reason) == ("refused", "opted_out")
        assert (warning.status, notice.status) == ("pending", "pending")


def test_twilio_stop_words_unsubscribe_without_a_reply_of_ours_and_start_undoes_it(
    twilio: TwilioClient, hotline: Hotline
) -> None:
    assert replies(text_in(twilio, "STOP")) == []
    assert queued(hotline) == []  # Twilio answers STOP itself and blocks ours
    with hotline.sessions() as session:
        assert session.scalars(sa.select(OptOut.sender)).all() == ["10010"]
    assert replies(text_in(twilio, "START")) == []
    with hotline.sessions() as session:
        assert session.scalars(sa.select(OptOut)).all() == []
    # START is confirmed, as TD is (issue 24: it got no confirmation).
    [confirmation] = queued(hotline)
    assert (confirmation.kind, confirmation.from_number) == ("reply.service_resubscribed", "10010")
    assert confirmation.body == "【中国联通】您已恢复接收10010的提醒短信，回复TD可再次退订。"


def test_a_chinese_sms_offers_a_chinese_word_to_resume_and_it_works(
    twilio: TwilioClient, hotline: Hotline
) -> None:
    text_in(twilio, "退订")
    [stopped] = queued(hotline)
    assert "START" not in stopped.body and stopped.body.endswith("回复“恢复”可重新接收。")
    assert replies(text_in(twilio, "恢复")) == []
    with hotline.sessions() as session:
        assert session.scalars(sa.select(OptOut)).all() == []
    assert queued(hotline)[-1].kind == "reply.service_resubscribed"
    text_in(twilio, "恢复")  # nothing is stopped now: says so
    assert queued(hotline)[-1].body == "【中国联通】您没有退订10010的短信，无需恢复。"


def test_start_to_a_port_lets_it_text_again_and_says_so_from_10010(
    twilio: TwilioClient, hotline: Hotline
) -> None:
    text_in(twilio, "0000", to=PORT)
    assert industry(hotline) == ("refused", "opted_out")
    assert replies(text_in(twilio, "START", to=PORT)) == []
    assert industry(hotline) == ("pending", None)
    confirmation = queued(hotline)[-2]
    assert (confirmation.from_number, confirmation.body) == (
        "10010",
        f"【中国联通】您已恢复接收端口{PORT}的短信，向该端口回复0000可再次退订。",
    )


# -- HELP, unknown, spam reports -----------------------------------------------------------


@pytest.mark.parametrize(
    ("word", "number"), [("HELP", DEMO_ZH), ("帮助", DEMO_ZH), ("help", DEMO_EN)]
)
def test_help_is_answered_at_once_in_the_subscribers_language(
    twilio: TwilioClient, hotline: Hotline, word: str, number: str
) -> None:
    [reply] = replies(text_in(twilio, word, from_=number))
    expected = (
        "【中国联通】回复TD退订提醒" if number == DEMO_ZH else "China Unicom: reply TD to stop"
    )
    assert reply.startswith(expected)
    assert queued(hotline, number) == []


def test_help_says_reply_before_each_command(twilio: TwilioClient) -> None:
    [reply] = replies(text_in(twilio, "帮助"))
    commands = reply.removeprefix("【中国联通】").split("。")[0].split("；")
    assert commands == [
        "回复TD退订提醒，回复“恢复”重新接收",
        "向行业端口回复0000退订该端口",
        "回复举报+号码举报垃圾短信",
        "回复KT+代码订购业务",
        "回复流量轨迹查询近三个月流量",
    ]


def test_help_texted_to_a_port_comes_from_the_service_number(
    twilio: TwilioClient, hotline: Hotline
) -> None:
    assert replies(text_in(twilio, "帮助", to=PORT)) == []
    [answer] = queued(hotline)
    assert (answer.kind, answer.from_number) == ("reply.help", "10010")
    assert answer.body.startswith("【中国联通】回复TD退订提醒")


def test_unknown_words_get_a_hint(twilio: TwilioClient) -> None:
    [reply] = replies(text_in(twilio, "余额多少"))
    assert "帮助" in reply


@pytest.mark.parametrize(
    ("body", "reported"),
    [
        ("举报 10659000", "10659000"),
        ("举报+86 138-1234-5678 发广告", "13812345678"),
        ("jb95555", "95555"),
    ],
)
def test_spam_reports_are_recorded_for_review(
    twilio: TwilioClient,
    hotline: Hotline,
    body: str,
    reported: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    [reply] = replies(text_in(twilio, body))
    assert reported in reply
    with hotline.sessions() as session:
        report = session.scalars(sa.select(SpamReport)).one()
    assert (report.reporter, report.reported_number, report.body) == (DEMO_ZH, reported, body)
    listed = CliRunner().invoke(main, ["sms", "spam-reports"], obj=hotline)
    assert listed.output.split()[:2] == [reported, "1"]


@pytest.mark.parametrize("body", ["举报", "举报 1234", "举报 验证码8812"])
def test_a_report_without_a_number_explains_the_format(
    twilio: TwilioClient, hotline: Hotline, body: str
) -> None:
    [reply] = replies(text_in(twilio, body))
    assert reply == (
        "【中国联通】举报格式：举报+号码，如“举报10659000”；也可向发送垃圾短信的端口直接回复“举报”。"
    )
    with hotline.sessions() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(SpamReport)) == 0


# -- webhook hygiene -----------------------------------------------------------------------


def test_a_redelivered_message_sid_changes_nothing(twilio: TwilioClient, hotline: Hotline) -> None:
    sid = "SM" + "b" * 32
    text_in(twilio, "0000", to=PORT, sid=sid)
    text_in(twilio, "0000", to=PORT, sid=sid)
    assert len(queued(hotline)) == 1
    assert port_counters(hotline)[2] == 1
    with hotline.sessions() as session:
        inbound = session.scalars(sa.select(InboundSms)).one()
    assert (inbound.action, inbound.from_number, inbound.to_number) == (
        "port_unsubscribed",
        DEMO_ZH,
        PORT,
    )


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ({"Body": "x" * 1601}, 400),
        ({"From": ""}, 400),
        ({"From": "<script>"}, 400),
        ({"MessageSid": "SM123"}, 400),
    ],
)
def test_malformed_inbound_sms_gets_400(
    twilio: TwilioClient, change: dict[str, str], status: int
) -> None:
    params = {
        "MessageSid": "SM" + "c" * 32,
        "From": "+8613800138000",
        "To": "10010",
        "Body": "HELP",
    }
    assert twilio.post("/sms/incoming", params | change).status_code == status


def test_unsigned_inbound_sms_is_refused(twilio: TwilioClient, hotline: Hotline) -> None:
    params = {"MessageSid": "SM" + "c" * 32, "From": "+8613800138000", "To": PORT, "Body": "0000"}
    assert twilio.post("/sms/incoming", params, signed=False).status_code == 403
    assert queued(hotline) == []


# -- value-added services ------------------------------------------------------------------


def orders(hotline: Hotline) -> list[tuple[str, str]]:
    with hotline.sessions() as session:
        return [
            (o.product_code, o.status)
            for o in session.scalars(sa.select(VasOrder).order_by(VasOrder.id))
        ]


def test_an_order_needs_a_confirming_reply(twilio: TwilioClient, hotline: Hotline) -> None:
    assert replies(text_in(twilio, "KT CL")) == []
    assert orders(hotline) == [("CL", "pending")]
    [ask] = queued(hotline)
    assert (
        ask.body == "【中国联通】您正在订购炫铃，5.00元/月。请24小时内回复Y确认，不回复则不订购。"
    )
    text_in(twilio, "Y")
    assert orders(hotline) == [("CL", "active")]
    assert (
        queued(hotline)[-1].body == "【中国联通】您已订购炫铃，5.00元/月，按月扣费。回复TDCL退订。"
    )


def test_without_a_reply_nothing_is_ordered_and_a_late_reply_orders_nothing(
    twilio: TwilioClient, hotline: Hotline
) -> None:
    text_in(twilio, "订购SJB", from_=DEMO_EN)
    assert queued(hotline, DEMO_EN)[0].body.startswith("China Unicom: you are ordering Mobile News")
    with transaction(hotline.sessions) as session:
        session.execute(
            sa.update(VasOrder).values(
                requested_at=hotline.clock.now() - dt.timedelta(hours=25),
                expires_at=hotline.clock.now() - dt.timedelta(hours=1),
            )
        )
    text_in(twilio, "Y", from_=DEMO_EN)
    assert orders(hotline) == [("SJB", "expired")]
    assert queued(hotline, DEMO_EN)[-1].body.startswith(
        "China Unicom: no order awaits confirmation"
    )


def test_other_replies_do_not_confirm_and_n_declines(
    twilio: TwilioClient, hotline: Hotline
) -> None:
    text_in(twilio, "KT YY")
    for body in ("好的", "YES PLEASE", "1"):
        text_in(twilio, body)
    assert orders(hotline) == [("YY", "pending")]
    text_in(twilio, "N")
    assert orders(hotline) == [("YY", "declined")]
    text_in(twilio, "确认")
    assert orders(hotline) == [("YY", "declined")]


def test_unknown_product_codes_and_strangers_order_nothing(
    twilio: TwilioClient, hotline: Hotline
) -> None:
    text_in(twilio, "KT ZZZ")
    assert queued(hotline)[-1].body == "【中国联通】未找到业务代码ZZZ，请核对后重试，详询10010。"
    [reply] = replies(text_in(twilio, "KT CL", from_=STRANGER))
    assert "未登记" in reply
    assert orders(hotline) == []


def test_td_with_a_code_cancels_that_subscription(twilio: TwilioClient, hotline: Hotline) -> None:
    text_in(twilio, "KT CL")
    text_in(twilio, "是")
    text_in(twilio, "KT CL")
    assert queued(hotline)[-1].body.startswith("【中国联通】您已订购炫铃，无需重复订购")
    text_in(twilio, "TD CL")
    assert orders(hotline) == [("CL", "cancelled")]
    assert queued(hotline)[-1].body == "【中国联通】您已退订炫铃，下月起不再扣费。"


def test_order_requested_by_another_channel_also_waits_for_the_sms_reply(
    hotline: Hotline, twilio: TwilioClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    requested = CliRunner().invoke(
        main, ["vas", "request", DEMO_ZH, "LL10", "--channel", "app"], obj=hotline
    )
    assert requested.output.strip().endswith("pending")
    assert orders(hotline) == [("LL10", "pending")]
    text_in(twilio, "Y")
    assert orders(hotline) == [("LL10", "active")]


@pytest.mark.postgres
def test_every_deduction_is_announced_once_per_month(
    twilio: TwilioClient, hotline: Hotline
) -> None:
    text_in(twilio, "KT CL")
    text_in(twilio, "Y")
    noon = dt.datetime(2026, 11, 30, 4, 0)  # 12:00 in Shanghai
    assert vas.charge(hotline.sessions, hotline.settings, noon, "2026-11").charged == 1
    assert vas.charge(hotline.sessions, hotline.settings, noon, "2026-11").already == 1
    with hotline.sessions() as session:
        account = session.scalar(
            sa.select(Account).join(Subscriber).where(Subscriber.msisdn == DEMO_ZH)
        )
        assert account is not None and account.balance_fen == 12345 - 500
        charge = session.scalars(sa.select(VasCharge)).one()
    notice = queued(hotline)[-1]
    assert charge.outbox_id == notice.id and notice.kind == "vas.deduction"
    assert notice.body == "【中国联通】您订购的炫铃本月扣费5.00元，余额118.45元。回复TDCL退订。"
    assert notice.next_attempt_at == noon  # announced at once: noon is no quiet hour


def test_a_deduction_taken_at_night_is_announced_in_the_morning(
    twilio: TwilioClient, hotline: Hotline
) -> None:
    text_in(twilio, "KT CL")
    text_in(twilio, "Y")
    midnight = dt.datetime(2026, 11, 30, 16, 5)  # 00:05 on 1 December in Shanghai
    vas.charge(hotline.sessions, hotline.settings, midnight, "2026-12")
    notice = queued(hotline)[-1]
    assert notice.next_attempt_at == dt.datetime(2026, 12, 1, 0, 0)  # 08:00 in Shanghai


# -- end to end through the stand-in -------------------------------------------------------


def test_a_handset_replying_0000_over_the_network_gets_the_confirmation(
    wire: Wire, database_url: str, tmp_path: Any
) -> None:
    from app import create_app

    app = create_app({"database_url": database_url, "prompt_audio": False, **wire.overrides()})
    wire.serve(app)
    hotline: Hotline = app.extensions["hotline"]
    handset_number = "+86" + DEMO_ZH
    # The handset texts the Twilio number the account owns for the 10655021... ports (a
    # port's own number never reaches Twilio); the service maps it back to those ports.
    exchange = wire.network.send_sms(handset_number, PORT_021_FROM, "0000")
    assert exchange.errors == [] and exchange.replies == []
    deliver(hotline)
    wire.settle()
    assert wire.inbox(handset_number) == [
        "【中国联通】您已退订端口10655021的短信，该端口将不再向您发送。"
    ]
    assert industry(hotline) == ("refused", "opted_out")  # PORT is one of those ports
    hotline.db.dispose()


def test_a_failure_inside_is_answered_politely_and_keeps_nothing(
    twilio: TwilioClient, hotline: Hotline, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any) -> None:
        raise RuntimeError("database on fire")

    monkeypatch.setattr(vas, "request_order", broken)
    [reply] = replies(text_in(twilio, "KT CL"))
    assert reply.startswith("【中国联通】系统繁忙")
    with hotline.sessions() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(InboundSms)) == 0


def test_a_failure_inside_after_a_text_to_a_port_is_answered_from_10010(
    twilio: TwilioClient, hotline: Hotline, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any) -> None:
        raise RuntimeError("database on fire")

    monkeypatch.setattr(ports, "reject", broken)
    assert replies(text_in(twilio, "0000", to=PORT)) == []
    [answer] = queued(hotline)
    assert (answer.kind, answer.from_number) == ("reply.error", "10010")
    assert answer.body.startswith("【中国联通】系统繁忙")
    with hotline.sessions() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(OptOut)) == 0


def test_the_local_handset_shows_what_it_received(
    twilio: TwilioClient, hotline: Hotline, monkeypatch: pytest.MonkeyPatch
) -> None:
    text_in(twilio, "退订", to=PORT)
    deliver(hotline)
    shown = CliRunner().invoke(main, ["sms", "inbox", DEMO_ZH], obj=hotline)
    assert shown.exit_code == 0, shown.output
    assert shown.output.rstrip().endswith(
        f"+08:00 from 10010: 【中国联通】您已退订端口{PORT}的短信，该端口将不再向您发送。"
    )  # received at, in Shanghai time, which says so
