"""Main menu 3: complaint tickets with 4 h / 48 h limits, SMS, status, escalation, auto-reopen."""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from complaints import tickets
from complaints.tickets import Ticket, TicketEvent
from hotline.cli import main
from hotline.container import Hotline
from hotline.settings import HotlineSettings
from ivr.models import Account, CallEvent, Subscriber
from sms_followup.models import OutboxMessage
from tests.support.caller import DEMO_ARREARS, DEMO_EN, DEMO_ZH, STRANGER, Caller

RECORDING = "https://api.twilio.com/2010-04-01/Accounts/AC0/Recordings/RE0123"
SETTINGS = HotlineSettings()
T0 = dt.datetime(2026, 11, 26, 18, 30)  # UTC: 02:30 on November 27th in Shanghai


# -- helpers ---------------------------------------------------------------------------


def _tickets(hotline: Hotline) -> list[Ticket]:
    with hotline.sessions() as session:
        rows = list(session.scalars(sa.select(Ticket).order_by(Ticket.id)))
        for row in rows:
            _ = row.subscriber, row.events
        session.expunge_all()
        return rows


def _messages(hotline: Hotline, kind: str) -> list[OutboxMessage]:
    with hotline.sessions() as session:
        return list(
            session.scalars(
                sa.select(OutboxMessage)
                .where(OutboxMessage.kind == kind)
                .order_by(OutboxMessage.id)
            )
        )


def _set_line(hotline: Hotline, msisdn: str, status: str, balance_fen: int | None = None) -> None:
    with hotline.sessions() as session, session.begin():
        subscriber = session.scalar(Subscriber.by_msisdn(msisdn))
        subscriber.line_status = status
        if balance_fen is not None:
            session.execute(
                sa.update(Account)
                .where(Account.subscriber_id == subscriber.id)
                .values(balance_fen=balance_fen)
            )


def _complain(caller: Caller, msisdn: str = DEMO_ZH, key: str = "") -> Caller:
    caller.dial("10010", msisdn).press("1" if msisdn != DEMO_EN else "2").press("3")
    return caller.press(key) if key else caller


def assert_asked_for_a_description(caller: Caller) -> None:
    """A beep, then up to a minute of the caller's words, ended by # or 4 s of silence; a
    caller who says nothing falls through to the same webhook."""
    assert caller.twiml is not None
    prompt, record, silence = caller.twiml
    assert (prompt.tag, prompt.text) == ("Say", "请在提示音后简要描述您的问题，说完请按井号键。")
    assert (record.tag, record.attrib) == (
        "Record",
        {
            "action": "/voice/complaints/recording",
            "method": "POST",
            "maxLength": "60",
            "finishOnKey": "#",
            "timeout": "4",
            "playBeep": "true",
        },
    )
    assert (silence.tag, silence.text) == ("Redirect", "/voice/complaints/recording")


def _file(session: Any, msisdn: str, category: str, now: dt.datetime) -> Ticket:
    subscriber = session.scalar(Subscriber.by_msisdn(msisdn))
    filed = tickets.file_complaint(
        session, subscriber, category, call=None, language="zh-CN", settings=SETTINGS, now=now
    )
    return filed.ticket


# -- filing by key, each category ------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "category", "queue", "hours", "spoken_hours"),
    [
        ("1", "payment_not_reopened", "urgent", 4, "四小时"),
        ("2", "abnormal_suspension", "urgent", 4, "四小时"),
        ("3", "network", "standard", 48, "四十八小时"),
        ("4", "billing", "standard", 48, "四十八小时"),
        ("5", "other", "standard", 48, "四十八小时"),
    ],
)
def test_each_category_files_a_ticket_with_its_time_limit(
    caller: Caller,
    hotline: Hotline,
    key: str,
    category: str,
    queue: str,
    hours: int,
    spoken_hours: str,
) -> None:
    _set_line(hotline, DEMO_ZH, "suspended_abnormal")  # key 1 checks the line first
    _complain(caller, key=key)
    assert_asked_for_a_description(caller)
    caller.record(RECORDING, seconds=12)
    [ticket] = _tickets(hotline)
    assert (ticket.category, ticket.queue, ticket.status) == (category, queue, "open")
    assert ticket.due_at - ticket.opened_at == dt.timedelta(hours=hours)
    assert (ticket.description, ticket.recording_url) == ("recorded", RECORDING)
    assert ticket.recording_duration_s == 12
    heard = caller.last_heard
    assert heard.startswith("您的投诉已受理，工单号")
    assert f"我们将在{spoken_hours}内处理完毕" in heard
    assert "服务质量监督电话六幺四八幺幺零零" in heard
    spoken_number = re.search(r"工单号(\S+?)。", heard).group(1)
    assert len(spoken_number) == len(ticket.number) == 10  # read digit by digit
    [sms] = _messages(hotline, "ticket_filed")
    assert sms.to_number == DEMO_ZH
    assert f"工单号{ticket.number}，我们将在{hours}小时内" in sms.body
    assert "服务质量监督电话61481100" in sms.body


def test_the_sms_names_the_complaint_in_quotes(caller: Caller, hotline: Hotline) -> None:
    """Issue 24: 您的缴费后未开机投诉已受理 read badly; 您关于"…"的投诉已受理 does not."""
    _complain(caller, key="3").record(RECORDING)
    [sms] = _messages(hotline, "ticket_filed")
    assert sms.body.startswith("【中国联通】您关于“网络故障”的投诉已受理，工单号")


def test_english_complaint(caller: Caller, hotline: Hotline) -> None:
    _complain(caller, DEMO_EN, "3").record(RECORDING)
    assert caller.last_heard.startswith("Your complaint has been registered. The ticket number is")
    assert "We will resolve it within 48 hours, by " in caller.last_heard
    [sms] = _messages(hotline, "ticket_filed")
    assert "We will resolve it within 48 hours" in sms.body and "61481100" in sms.body


@pytest.mark.parametrize(
    ("words", "category"),
    [
        ("异常停机", "abnormal_suspension"),
        ("信号不好", "network"),
        ("乱扣费", "billing"),
        ("服务态度", "other"),
    ],
)
def test_the_category_can_be_said(
    caller: Caller, hotline: Hotline, words: str, category: str
) -> None:
    _complain(caller).say(words)
    assert_asked_for_a_description(caller)
    assert [t.category for t in _tickets(hotline)] == [category]


def test_saying_a_kind_of_complaint_at_the_main_menu_reaches_complaints(caller: Caller) -> None:
    caller.dial("10010", DEMO_ZH).press("1").say("我的号码异常停机了")
    assert caller.last_heard.startswith("缴费后仍未恢复开机请按1")


def test_nothing_recorded_is_asked_again_and_files_nothing_yet(
    caller: Caller, hotline: Hotline
) -> None:
    """# right after the beep (or silence): Twilio falls through with no recording."""
    _complain(caller, key="3").stay_silent()
    assert caller.last_heard == (
        "对不起，没有录到您的描述，投诉尚未提交。 请在提示音后简要描述您的问题，说完请按井号键。"
    )
    assert caller.twiml is not None and caller.twiml.find("Record") is not None
    assert _messages(hotline, "ticket_filed") == []
    caller.record(RECORDING)  # the second time, the caller speaks
    assert caller.last_heard.startswith("您的投诉已受理，工单号")
    [ticket] = _tickets(hotline)
    assert (ticket.description, ticket.recording_url) == ("recorded", RECORDING)


def test_a_second_empty_recording_files_no_complaint(caller: Caller, hotline: Hotline) -> None:
    _complain(caller, key="3").stay_silent().stay_silent()
    assert caller.last_heard.startswith(
        "仍然没有录到您的描述，本次投诉未提交。 缴费后仍未恢复开机请按1"
    )
    caller.hang_up()
    assert _tickets(hotline) == []
    assert _messages(hotline, "ticket_filed") == []


def test_hanging_up_while_recording_keeps_the_recording(caller: Caller, hotline: Hotline) -> None:
    _complain(caller, key="4").record(RECORDING, ended_by="hangup")
    [ticket] = _tickets(hotline)
    assert ticket.recording_url == RECORDING


def test_hanging_up_at_the_beep_files_nothing_and_sends_nothing(
    caller: Caller, hotline: Hotline
) -> None:
    _complain(caller, key="3")
    assert _messages(hotline, "ticket_filed") == []  # a draft is not told before it is filed
    caller.webhook("/voice/complaints/recording", Digits="hangup")  # nothing recorded
    caller.hang_up()

    assert _tickets(hotline) == []
    assert _messages(hotline, "ticket_filed") == []


def test_a_draft_left_by_a_call_that_just_ended_is_listed_nowhere(
    caller: Caller, hotline: Hotline
) -> None:
    _complain(caller, key="2")  # no recording webhook at all: the call simply ended
    caller.hang_up()

    with hotline.sessions() as session:
        assert list(session.scalars(tickets.listing())) == []
        subscriber = session.scalar(Subscriber.by_msisdn(DEMO_ZH))
        assert list(session.scalars(tickets.unresolved_for(subscriber.id))) == []
        assert list(session.scalars(tickets.needing_attention(T0 + dt.timedelta(days=9)))) == []
    assert _messages(hotline, "ticket_filed") == []


def test_the_same_complaint_again_is_added_to_the_open_ticket_not_filed_twice(
    caller: Caller, twilio: Any, hotline: Hotline
) -> None:
    _complain(caller, key="3").record(RECORDING)
    caller.hang_up()
    [ticket] = _tickets(hotline)

    again = _complain(Caller(twilio), key="3")
    assert again.last_heard.startswith("您有一张投诉工单正在等待处理")
    assert "如需为这张工单补充说明，请按1" in again.last_heard
    again.press("1")
    assert_asked_for_a_description(again)
    again.record(RECORDING + "b", seconds=5)

    assert again.last_heard.startswith("您的补充说明已加入投诉工单")
    [same] = _tickets(hotline)
    assert same.id == ticket.id
    assert [e.kind for e in same.events] == ["opened", "described", "added"]
    assert same.events[-1].detail["recording_url"] == RECORDING + "b"
    assert len(_messages(hotline, "ticket_filed")) == 1
    again.press("9")
    assert again.last_heard.startswith("查询业务请按1")


def test_pound_repeats_the_ticket_number_and_9_returns_to_the_main_menu(caller: Caller) -> None:
    _complain(caller, key="5").record(RECORDING)
    first = caller.last_heard
    caller.press("#")
    assert caller.last_heard == first
    caller.press("9")
    assert caller.last_heard.startswith("查询业务请按1")


def test_a_repeated_recording_callback_changes_nothing(caller: Caller, hotline: Hotline) -> None:
    _complain(caller, key="3")
    caller.record(RECORDING)
    caller.webhook("/voice/complaints/recording", RecordingUrl=RECORDING + "x", Digits="#")
    [ticket] = _tickets(hotline)
    assert ticket.recording_url == RECORDING
    assert [e.kind for e in ticket.events] == ["opened", "described"]


def test_the_recording_callback_checks_signature_and_parameters(
    caller: Caller, twilio: Any
) -> None:
    _complain(caller, key="3")
    params = caller.params(RecordingUrl=RECORDING, Digits="#")
    path = "/voice/complaints/recording"
    assert twilio.post(path, params, signed=False).status_code == 403
    assert twilio.post(path, {**params, "RecordingUrl": "javascript:x"}).status_code == 400
    unknown = twilio.post(path, {**params, "CallSid": "CA" + "0" * 32})
    assert unknown.status_code == 200
    document = ET.fromstring(unknown.get_data())
    assert (document.tag, list(document)) == ("Response", [])


# -- payment made, line not reopened ---------------------------------------------------


@pytest.mark.postgres
def test_a_paid_up_line_suspended_for_arrears_is_reopened_at_once(
    caller: Caller, hotline: Hotline
) -> None:
    _set_line(hotline, DEMO_ZH, "suspended_arrears")  # balance 123.45: paid up
    _complain(caller, key="1")
    assert caller.last_heard.startswith("经核实，您已缴费且账户余额充足，已为您恢复开机")
    assert caller.twiml.find("Record") is None
    [ticket] = _tickets(hotline)
    assert (ticket.status, ticket.resolution) == ("answered", "line_reopened")
    assert ticket.subscriber.line_status == "active"
    assert [e.kind for e in ticket.events] == ["opened", "line_reopened"]
    [sms] = _messages(hotline, "line_reopened")
    assert "恢复开机" in sms.body and ticket.number in sms.body and "61481100" in sms.body
    assert _messages(hotline, "ticket_filed") == []
    with hotline.sessions() as session:
        kinds = session.scalars(sa.select(CallEvent.kind)).all()
    assert "line.reopened" in kinds


@pytest.mark.parametrize(
    ("line_status", "balance_fen"), [("suspended_arrears", 0), ("suspended_abnormal", None)]
)
def test_a_suspended_line_in_credit_not_reopened_goes_to_the_urgent_queue(
    caller: Caller, hotline: Hotline, line_status: str, balance_fen: int | None
) -> None:
    _set_line(hotline, DEMO_ZH, line_status, balance_fen)
    _complain(caller, DEMO_ZH, "1").record(RECORDING)
    [ticket] = _tickets(hotline)
    assert (ticket.queue, ticket.status, ticket.resolution) == ("urgent", "open", None)
    assert ticket.subscriber.line_status == line_status
    assert "我们将在四小时内处理完毕" in caller.last_heard


@pytest.mark.parametrize(
    ("msisdn", "line_status", "told"),
    [
        (DEMO_ARREARS, "suspended_arrears", "经查询，您的账户目前仍欠费二十三元五角"),
        (DEMO_ARREARS, "active", "经查询，您的账户目前仍欠费二十三元五角"),
        (DEMO_ZH, "active", "经查询，您的号码状态正常，没有停机"),
    ],
)
def test_a_line_in_arrears_or_open_hears_so_and_files_nothing(
    caller: Caller, hotline: Hotline, msisdn: str, line_status: str, told: str
) -> None:
    _set_line(hotline, msisdn, line_status)
    _complain(caller, msisdn, "1")
    assert caller.last_heard.startswith(told)
    assert "缴费后仍未恢复开机请按1" in caller.last_heard  # the kinds of problem again
    assert caller.twiml.find("Record") is None
    assert _tickets(hotline) == []


# -- calling again ---------------------------------------------------------------------


def test_calling_again_about_an_open_ticket_hears_its_status_first(
    caller: Caller, twilio: Any, hotline: Hotline
) -> None:
    _complain(caller, key="3").record(RECORDING)
    caller.hang_up()
    [ticket] = _tickets(hotline)
    again = _complain(Caller(twilio))
    assert again.last_heard.startswith("您有一张投诉工单正在等待处理，工单号")
    assert "缴费后仍未恢复开机请按1" in again.last_heard
    with hotline.sessions() as session, session.begin():
        tickets.set_status(session, ticket.number, "in_progress", actor="desk", now=T0)
    assert "正在处理中" in _complain(Caller(twilio)).last_heard
    with hotline.sessions() as session, session.begin():
        tickets.set_status(session, ticket.number, "answered", actor="desk", now=T0)
    assert "已处理并答复" in _complain(Caller(twilio)).last_heard
    with hotline.sessions() as session, session.begin():
        tickets.set_status(session, ticket.number, "closed", actor="desk", now=T0)
    assert _complain(Caller(twilio)).last_heard.startswith("缴费后仍未恢复开机请按1")


def test_a_caller_with_an_overdue_ticket_hears_an_apology(twilio: Any, hotline: Hotline) -> None:
    with hotline.sessions() as session, session.begin():
        _file(session, DEMO_ZH, "network", dt.datetime(2020, 1, 1))
    heard = _complain(Caller(twilio)).last_heard
    assert "已超过承诺的处理时限，我们已加急处理" in heard


# -- deadlines in Shanghai time --------------------------------------------------------


def test_deadlines_are_computed_and_written_in_shanghai_time(hotline: Hotline) -> None:
    with hotline.sessions() as session, session.begin():
        urgent = _file(session, DEMO_ZH, "abnormal_suspension", T0)
        standard = _file(session, DEMO_ZH, "billing", T0)
        numbers = urgent.number, standard.number
        dues = urgent.due_at, standard.due_at
    assert dues == (T0 + dt.timedelta(hours=4), T0 + dt.timedelta(hours=48))
    assert numbers[0].startswith("261127")  # opened on November 27th, Shanghai time
    urgent_sms, standard_sms = (m.body for m in _messages(hotline, "ticket_filed"))
    assert "（11月27日06:30前）" in urgent_sms  # 22:30 UTC
    assert "（11月29日02:30前）" in standard_sms


def test_the_spoken_deadline_is_in_shanghai_time(caller: Caller, hotline: Hotline) -> None:
    _complain(caller, key="2").record(RECORDING)
    [ticket] = _tickets(hotline)
    local = ticket.due_at.replace(tzinfo=dt.UTC).astimezone(ZoneInfo("Asia/Shanghai"))
    from prompts import spoken  # how a clock time is said: tests/prompts/test_spoken_time.py

    expected = f"{local.month}月{local.day}日{spoken.time_of_day(local.time(), 'zh-CN')}"
    assert f"最迟于{expected}前答复您" in caller.last_heard


# -- life cycle and escalation ---------------------------------------------------------


def test_status_moves_along_the_life_cycle_only(hotline: Hotline) -> None:
    with hotline.sessions() as session, session.begin():
        number = _file(session, DEMO_ZH, "billing", T0).number
        for status in ("in_progress", "answered", "in_progress", "answered", "closed"):
            tickets.set_status(session, number, status, actor="desk", now=T0)
        with pytest.raises(tickets.StatusNotAllowed):
            tickets.set_status(session, number, "in_progress", actor="desk", now=T0)
        with pytest.raises(tickets.UnknownTicket):
            tickets.set_status(session, "2611279999", "closed", actor="desk", now=T0)
    [ticket] = _tickets(hotline)
    assert (ticket.answered_at, ticket.closed_at) == (T0, T0)
    assert [e.detail.get("status") for e in ticket.events if e.kind == "status"][-1] == "closed"


@pytest.mark.postgres
def test_escalation_when_the_deadline_nears_and_when_it_passes(hotline: Hotline) -> None:
    with hotline.sessions() as session, session.begin():
        urgent = _file(session, DEMO_ZH, "payment_not_reopened", T0).number
        standard = _file(session, DEMO_ZH, "network", T0).number
        answered = _file(session, DEMO_ZH, "abnormal_suspension", T0).number
        tickets.set_status(session, answered, "answered", actor="desk", now=T0)

    def escalate(after: dt.timedelta) -> list[tuple[str, int]]:
        with hotline.sessions() as session, session.begin():
            return [(t.number, t.escalation_level) for t in tickets.escalate(session, T0 + after)]

    assert escalate(dt.timedelta(hours=2, minutes=59)) == []
    assert escalate(dt.timedelta(hours=3)) == [(urgent, tickets.DUE_SOON)]
    assert escalate(dt.timedelta(hours=3, minutes=30)) == []  # once per level
    assert escalate(dt.timedelta(hours=4)) == [(urgent, tickets.OVERDUE)]
    assert escalate(dt.timedelta(hours=36)) == [(standard, tickets.DUE_SOON)]
    assert escalate(dt.timedelta(hours=48)) == [(standard, tickets.OVERDUE)]
    assert escalate(dt.timedelta(days=30)) == []
    with hotline.sessions() as session:
        overdue = [t.number for t in session.scalars(tickets.overdue(T0 + dt.timedelta(hours=5)))]
        kinds = session.scalars(
            sa.select(TicketEvent.detail).where(TicketEvent.kind == "escalated")
        ).all()
    assert overdue == [urgent]
    assert [k["level"] for k in kinds] == ["due soon", "overdue", "due soon", "overdue"]


def test_cli_lists_overdue_tickets_shows_escalates_and_closes(
    app: Any, hotline: Hotline, monkeypatch: pytest.MonkeyPatch
) -> None:
    with hotline.sessions() as session, session.begin():
        late = _file(session, DEMO_ZH, "abnormal_suspension", dt.datetime(2020, 1, 1)).number
        fresh = _file(session, DEMO_EN, "billing", hotline.clock.now()).number
    runner = CliRunner()
    listed = runner.invoke(main, ["tickets", "list", "--overdue"], obj=hotline)
    assert listed.exit_code == 0, listed.output
    assert late in listed.output and fresh not in listed.output
    assert "OVERDUE by" in listed.output and DEMO_ZH in listed.output
    everything = runner.invoke(main, ["tickets", "list"], obj=hotline)
    assert late in everything.output and fresh in everything.output
    escalated = runner.invoke(main, ["tickets", "escalate"], obj=hotline)
    assert f"escalated {late}" in escalated.output and "1 ticket(s) escalated" in escalated.output
    shown = runner.invoke(main, ["tickets", "show", late], obj=hotline)
    assert "escalated" in shown.output and "abnormal_suspension" in shown.output
    closed = runner.invoke(
        main, ["tickets", "set-status", late, "closed", "--note", "fixed"], obj=hotline
    )
    assert closed.exit_code == 0 and f"{late} is now closed" in closed.output
    refused = runner.invoke(main, ["tickets", "set-status", late, "answered"], obj=hotline)
    assert refused.exit_code != 0 and "cannot become answered" in refused.output
    assert runner.invoke(main, ["tickets", "show", "123"], obj=hotline).exit_code != 0
    assert (
        "no overdue tickets"
        in runner.invoke(main, ["tickets", "list", "--overdue"], obj=hotline).output
    )


def test_a_caller_who_verified_another_number_is_told_where_the_sms_goes(
    caller: Caller, hotline: Hotline
) -> None:
    caller.dial("10010", STRANGER).press("1").press("3")
    caller.press(DEMO_ZH).press("135790").press("3").record(RECORDING)

    assert (
        "发送到您验证的号码幺三八零零幺三八零零零，而不是您正在使用的这部电话" in caller.last_heard
    )
    assert "发送到您的手机" not in caller.last_heard
    [sms] = _messages(hotline, "ticket_filed")
    assert sms.to_number == DEMO_ZH


def test_a_caller_on_their_own_phone_hears_it_goes_to_their_phone(caller: Caller) -> None:
    _complain(caller, key="3").record(RECORDING)
    assert "工单号和处理时限将以短信发送到您的手机。" in caller.last_heard
