"""Warnings before suspension (停机预警, issue 16), from the reminders job: a low balance, or
one this month's spending uses up within three days, gets one warning per episode; arrears
suspend the line with a dated notice (day and night); a payment reopens it with an SMS;
quiet hours hold everything but the suspension notice."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from complaints.tickets import PAYMENT_NOT_REOPENED, file_complaint
from hotline.cli import main
from hotline.container import Hotline
from ivr.db import transaction
from ivr.models import Account, Subscriber
from sms_followup import reminders
from sms_followup.models import OutboxMessage
from sms_followup.settings import SmsSettings
from sms_followup.templates import segments, text
from tests.support.caller import DEMO_ARREARS, DEMO_EN, DEMO_ZH
from tests.support.clocks import TestClock

# Wednesday 11 March 2031, 10:00 in Shanghai (02:00 UTC): day 11 of the month.
DAY = dt.datetime(2031, 3, 11, 2, 0)
NIGHT = dt.datetime(2031, 3, 11, 15, 0)  # 23:00 in Shanghai
MORNING = dt.datetime(2031, 3, 12, 0, 0)  # 08:00 the next day in Shanghai
KINDS = (
    reminders.BALANCE_LOW,
    reminders.BALANCE_RUN_OUT,
    reminders.SUSPENSION,
    reminders.LINE_REOPENED,
)
HEAVY = "18500185000"  # the demo's heavy data user, balance 1.00
pytestmark = pytest.mark.clock(DAY, running=False)


def account(
    hotline: Hotline, msisdn: str, balance_fen: int, charges_fen: int | None = None
) -> None:
    """Billing says: this balance (a payment, or spending), and this month's charges."""
    with transaction(hotline.sessions) as session:
        subscriber = session.scalars(Subscriber.by_msisdn(msisdn)).one()
        subscriber.account.balance_fen = balance_fen
        if charges_fen is not None:
            subscriber.account.month_charges_fen = charges_fen


def run(hotline: Hotline, clock: TestClock, at: dt.datetime = DAY) -> reminders.ReminderRun:
    clock.set(at)
    return reminders.run(hotline.sessions, SmsSettings.of(hotline.settings), clock.now())


def notices(hotline: Hotline, to: str) -> list[tuple[str, str, dt.datetime]]:
    with hotline.sessions() as session:
        rows = session.scalars(
            sa.select(OutboxMessage)
            .where(OutboxMessage.to_number == to, OutboxMessage.kind.in_(KINDS))
            .order_by(OutboxMessage.id)
        )
        return [(m.kind, m.body, m.next_attempt_at) for m in rows]


def line(hotline: Hotline, msisdn: str) -> str:
    with hotline.sessions() as session:
        return session.scalars(Subscriber.by_msisdn(msisdn)).one().line_status


def test_a_balance_under_the_threshold_gets_one_warning_per_episode(
    hotline: Hotline, clock: TestClock
) -> None:
    account(hotline, DEMO_ZH, 800, 1000)
    first = run(hotline, clock)
    assert first.balance[reminders.BALANCE_LOW] == 2  # and the demo heavy user's 1.00 yuan
    low = "【中国联通】您的账户余额为8.00元，已低于10.00元，请及时缴费，以免欠费停机。"
    assert notices(hotline, DEMO_ZH) == [(reminders.BALANCE_LOW, low, DAY)]

    account(hotline, DEMO_ZH, 300)  # lower still, same episode: nothing more
    run(hotline, clock, DAY + dt.timedelta(hours=1))
    run(hotline, clock, DAY + dt.timedelta(hours=2))
    assert len(notices(hotline, DEMO_ZH)) == 1

    account(hotline, DEMO_ZH, 5000)  # topped up: the episode is over
    run(hotline, clock, DAY + dt.timedelta(hours=3))
    account(hotline, DEMO_ZH, 700)  # a new episode, a new warning
    run(hotline, clock, DAY + dt.timedelta(hours=4))
    again = "【中国联通】您的账户余额为7.00元，已低于10.00元，请及时缴费，以免欠费停机。"
    assert [body for _, body, _ in notices(hotline, DEMO_ZH)] == [low, again]
    assert line(hotline, DEMO_ZH) == "active"


@pytest.mark.parametrize(
    ("balance", "warned"),
    [(2000, "2"), (3000, "3"), (3100, None), (50000, None)],
)
def test_spending_that_uses_the_balance_up_within_three_days_is_warned(
    hotline: Hotline, clock: TestClock, balance: int, warned: str | None
) -> None:
    account(hotline, DEMO_ZH, balance, 11000)  # 110 yuan in 11 days: 10 yuan a day
    run(hotline, clock)
    expected = (
        []
        if warned is None
        else [
            (
                reminders.BALANCE_RUN_OUT,
                f"【中国联通】您的账户余额为{balance // 100}.00元，按本月消费预计{warned}天内"
                "用完，请及时缴费，以免欠费停机。",
                DAY,
            )
        ]
    )
    assert notices(hotline, DEMO_ZH) == expected


@pytest.mark.parametrize(("balance", "within"), [(1000, "1 day"), (2000, "2 days")])
def test_in_english_the_days_are_a_proper_plural(
    hotline: Hotline, clock: TestClock, balance: int, within: str
) -> None:
    """Issue 24: "runs out within 2 day(s)"."""
    account(hotline, DEMO_EN, balance, 11000)  # 10 yuan a day
    run(hotline, clock)
    [(_, body, _)] = notices(hotline, DEMO_EN)
    assert f"your balance of CNY {balance // 100}.00 runs out within {within}." in body


def test_nothing_spent_this_month_projects_nothing(hotline: Hotline, clock: TestClock) -> None:
    account(hotline, DEMO_ZH, 1500, 0)
    run(hotline, clock)
    assert notices(hotline, DEMO_ZH) == []


@pytest.mark.parametrize("settings_overrides", [{"balance_warning_fen": 5000}])
def test_the_threshold_is_balance_warning_fen(hotline: Hotline, clock: TestClock) -> None:
    account(hotline, DEMO_EN, 4999, 100)
    run(hotline, clock)
    assert notices(hotline, DEMO_EN) == [
        (
            reminders.BALANCE_LOW,
            "China Unicom: your balance is CNY 49.99, under CNY 50.00. "
            "Please top up to avoid suspension.",
            DAY,
        )
    ]


def test_a_warning_found_at_night_waits_for_the_morning(hotline: Hotline, clock: TestClock) -> None:
    account(hotline, DEMO_ZH, 800, 1000)
    run(hotline, clock, NIGHT)
    [(_, _, due)] = notices(hotline, DEMO_ZH)
    assert due == MORNING


def test_arrears_suspend_the_line_with_a_dated_notice_even_at_night(
    hotline: Hotline, clock: TestClock
) -> None:
    assert line(hotline, DEMO_ARREARS) == "active"  # the demo line owes 23.50
    first = run(hotline, clock, NIGHT)
    assert line(hotline, DEMO_ARREARS) == "suspended_arrears"
    assert first.balance[reminders.SUSPENSION] == 1
    notice = "【中国联通】您已欠费23.50元，号码已于3月11日停机。缴费后即可恢复开机，详询10010。"
    assert notices(hotline, DEMO_ARREARS) == [(reminders.SUSPENSION, notice, NIGHT)]
    run(hotline, clock, NIGHT + dt.timedelta(minutes=10))
    run(hotline, clock, MORNING)
    assert len(notices(hotline, DEMO_ARREARS)) == 1  # once, and no low-balance warning


@pytest.mark.postgres
def test_a_payment_reopens_the_line_with_an_sms_held_through_the_night(
    hotline: Hotline, clock: TestClock
) -> None:
    run(hotline, clock)
    account(hotline, DEMO_ARREARS, 5000)  # paid 73.50: 50 yuan left, a week's spending
    run(hotline, clock, NIGHT)
    assert line(hotline, DEMO_ARREARS) == "active"
    reopened = "【中国联通】您已缴费，当前余额50.00元，号码已于3月11日恢复开机，感谢使用。"
    assert notices(hotline, DEMO_ARREARS)[1:] == [(reminders.LINE_REOPENED, reopened, MORNING)]
    run(hotline, clock, MORNING)
    assert len(notices(hotline, DEMO_ARREARS)) == 2

    # Owing again later is a new episode: suspended again, told again.
    account(hotline, DEMO_ARREARS, -100)
    run(hotline, clock, MORNING + dt.timedelta(days=1))
    assert line(hotline, DEMO_ARREARS) == "suspended_arrears"
    kinds = [kind for kind, _, _ in notices(hotline, DEMO_ARREARS)]
    assert kinds == [reminders.SUSPENSION, reminders.LINE_REOPENED, reminders.SUSPENSION]


def test_a_payment_too_small_to_clear_the_arrears_reopens_nothing(
    hotline: Hotline, clock: TestClock
) -> None:
    run(hotline, clock)
    account(hotline, DEMO_ARREARS, 0)
    run(hotline, clock, DAY + dt.timedelta(hours=1))
    assert line(hotline, DEMO_ARREARS) == "suspended_arrears"
    assert [k for k, _, _ in notices(hotline, DEMO_ARREARS)] == [reminders.SUSPENSION]


def test_a_line_the_complaints_desk_reopened_gets_no_second_reopening_sms(
    hotline: Hotline, clock: TestClock
) -> None:
    run(hotline, clock)
    account(hotline, DEMO_ARREARS, 5000)
    with transaction(hotline.sessions) as session:
        subscriber = session.scalars(Subscriber.by_msisdn(DEMO_ARREARS)).one()
        filed = file_complaint(
            session,
            subscriber,
            PAYMENT_NOT_REOPENED,
            call=None,
            language="zh-CN",
            settings=SmsSettings.of(hotline.settings),
            now=clock.now(),
        )
    assert filed.line_reopened
    run(hotline, clock, DAY + dt.timedelta(hours=1))
    assert [k for k, _, _ in notices(hotline, DEMO_ARREARS)] == [reminders.SUSPENSION]
    with hotline.sessions() as session:
        kinds = session.scalars(
            sa.select(OutboxMessage.kind).where(OutboxMessage.to_number == DEMO_ARREARS)
        ).all()
    assert kinds.count("line_reopened") == 1  # the complaint's own SMS


def test_a_suspended_line_gets_no_usage_reminders(hotline: Hotline, clock: TestClock) -> None:
    run(hotline, clock)
    later = DAY + dt.timedelta(days=8)  # another week: summaries are due
    while run(hotline, clock, later).waiting:  # one SMS a run, until none waits
        later += dt.timedelta(minutes=10)
    with hotline.sessions() as session:
        weekly = session.scalars(
            sa.select(OutboxMessage.to_number).where(OutboxMessage.kind == "reminder.data_weekly")
        ).all()
    # Each active phone has its summary (the heavy user's after its data warnings); the
    # suspended line has none.
    assert {DEMO_ZH, DEMO_EN, HEAVY} <= set(weekly) and DEMO_ARREARS not in weekly


@pytest.mark.parametrize("language", ["zh-CN", "en-US"])
def test_the_reopening_sms_fits_one_segment(language: str) -> None:
    longest = {"zh-CN": ("99999.99元", "12月31日"), "en-US": ("CNY 99999.99", "31 Dec")}
    balance, date = longest[language]
    body = text(reminders.LINE_REOPENED, language, balance=balance, date=date)
    assert segments(body) == 1


def test_the_figures_of_an_account_are_what_the_job_reads() -> None:
    # 100 yuan spent by the 10th: 10 a day; 25 yuan left lasts 2.5 days, said as 3.
    assert reminders.days_to_run_out(2500, 10000, dt.date(2031, 3, 10)) == 3
    assert reminders.days_to_run_out(2500, 0, dt.date(2031, 3, 10)) is None
    assert Account.__tablename__ == "accounts"


def test_ivr_reminders_run_lists_the_balance_notices(hotline: Hotline) -> None:
    result = CliRunner().invoke(
        main, ["reminders", "run", "--now", "2031-03-11T10:00"], obj=hotline
    )
    assert result.exit_code == 0, result.output
    lines = [line.split() for line in result.output.splitlines()]
    assert [reminders.SUSPENSION, "1"] in lines  # the demo line owing 23.50
    assert [reminders.BALANCE_LOW, "1"] in lines  # the demo heavy user's 1.00 yuan
    assert line(hotline, DEMO_ARREARS) == "suspended_arrears"
