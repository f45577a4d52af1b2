"""Proactive reminders: thresholds, caps, out-of-package steps, upgrade hints, summaries,
roaming and maritime warnings; once per threshold and period, quiet at night; usage import."""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections import Counter
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from hotline.cli import main
from hotline.container import Hotline
from ivr.db import transaction
from ivr.models import Account, Subscriber, UsageCounter
from sms_followup import reminders
from sms_followup.models import OptOut, OutboxMessage, RoamingDay
from sms_followup.usage import ingest
from tests.support.caller import DEMO_EN, DEMO_ZH
from tests.support.reminders import NOW, only_data, run, sms, usage

MB = 1024
GB = 1024 * MB
DATA_CARD = "18600186000"
HEAVY = "18500185000"  # the demo's heavy data user
# Thursday 26 November 2026, 10:00 in Shanghai (02:00 UTC).
NIGHT = dt.datetime(2026, 11, 26, 15, 0)  # 23:00 in Shanghai
MORNING = dt.datetime(2026, 11, 27, 0, 0)  # 08:00 the next day in Shanghai
LATER = NOW + dt.timedelta(minutes=10)  # the job's next run


@pytest.fixture(autouse=True)
def no_usage(hotline: Hotline) -> None:
    """Start every test from no usage at all, and every balance healthy (warnings before
    suspension: tests/sms_followup/test_suspension_warnings.py); each test sets what it needs."""
    with transaction(hotline.sessions) as session:
        session.execute(sa.delete(UsageCounter))
        session.execute(sa.update(Account).values(balance_fen=100000))


def roaming(
    hotline: Hotline,
    msisdn: str,
    day: dt.date,
    data_kb: int,
    country: str = "日本",
    network: str | None = None,
    maritime: bool = False,
) -> None:
    with transaction(hotline.sessions) as session:
        subscriber = session.scalars(Subscriber.by_msisdn(msisdn)).one()
        row = session.scalar(
            sa.select(RoamingDay).where(
                RoamingDay.subscriber_id == subscriber.id, RoamingDay.day == day
            )
        )
        if row is None:
            row = RoamingDay(subscriber_id=subscriber.id, day=day)
            session.add(row)
        row.data_kb, row.country, row.network, row.maritime = data_kb, country, network, maritime


def kinds(hotline: Hotline, to: str = DEMO_ZH) -> list[str]:
    return [kind for kind, _ in sms(hotline, to)]


# -- remaining allowances ------------------------------------------------------------------


def test_remaining_data_under_20_then_5_percent_sends_one_sms_each(hotline: Hotline) -> None:
    only_data(hotline)
    usage(hotline, DEMO_ZH, "data", 10 * GB, 8 * GB + 200 * MB)
    assert run(hotline).sent == Counter({"reminder.data_low": 1})
    assert run(hotline, LATER).total == 0
    usage(hotline, DEMO_ZH, "data", 10 * GB, 9 * GB + 700 * MB)
    run(hotline, LATER)
    run(hotline, LATER + dt.timedelta(minutes=10))
    assert sms(hotline) == [
        ("reminder.data_low", "【中国联通】您本月套餐流量剩余1.8GB，已不足20%，请合理使用。"),
        ("reminder.data_low", "【中国联通】您本月套餐流量剩余324MB，已不足5%，请合理使用。"),
    ]


def test_crossing_both_thresholds_at_once_sends_only_the_more_urgent(hotline: Hotline) -> None:
    only_data(hotline)
    usage(hotline, DEMO_EN, "data", 10 * GB, 9 * GB + 900 * MB)
    run(hotline)
    usage(hotline, DEMO_EN, "data", 10 * GB, 9 * GB + 950 * MB)
    run(hotline)
    assert sms(hotline, DEMO_EN) == [
        ("reminder.data_low", "China Unicom: 124MB of your monthly data left, under 5%.")
    ]


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("voice", "【中国联通】您本月套餐通话剩余50分钟，已不足20%。"),
        ("sms", "【中国联通】您本月套餐短信剩余50条，已不足20%。"),
    ],
)
def test_remaining_minutes_and_texts_are_reminded_too(
    hotline: Hotline, kind: str, expected: str
) -> None:
    only_data(hotline)
    usage(hotline, DEMO_ZH, kind, 300, 250)
    run(hotline)
    assert sms(hotline) == [(f"reminder.{kind}_low", expected)]


def test_thresholds_follow_the_plan(hotline: Hotline) -> None:
    only_data(hotline)
    usage(hotline, DATA_CARD, "data", 20 * GB, 17 * GB)  # 15% left: the card's rule is 10%
    assert run(hotline).total == 0
    usage(hotline, DATA_CARD, "data", 20 * GB, 18 * GB + 500 * MB)
    run(hotline)
    assert sms(hotline, DATA_CARD) == [
        ("reminder.data_low", "【中国联通】您本月套餐流量剩余1.5GB，已不足10%，请合理使用。")
    ]


# -- caps, out-of-package data, upgrade hint -----------------------------------------------


def test_data_cap_then_each_out_of_package_step_is_warned_once_even_at_night(
    hotline: Hotline,
) -> None:
    only_data(hotline)
    usage(hotline, DEMO_ZH, "data", 5 * GB, 5 * GB + 10 * MB)
    run(hotline, NIGHT)
    usage(hotline, DEMO_ZH, "data", 5 * GB, 6 * GB + 100 * MB)
    run(hotline, NIGHT + dt.timedelta(minutes=10))
    run(hotline, NIGHT + dt.timedelta(minutes=20))
    usage(hotline, DEMO_ZH, "data", 5 * GB, 8 * GB + 100 * MB)
    run(hotline, NIGHT + dt.timedelta(minutes=30))
    assert sms(hotline) == [
        ("warning.data_cap", "【中国联通】您本月套餐流量5GB已用完，继续使用将按套餐外资费计费。"),
        (
            "warning.data_over",
            "【中国联通】您本月套餐外流量已达1GB，按套餐外资费计费，建议订购流量包。",
        ),
        (
            "warning.data_over",
            "【中国联通】您本月套餐外流量已达3GB，按套餐外资费计费，建议订购流量包。",
        ),
    ]
    with hotline.sessions() as session:
        due = session.scalars(sa.select(OutboxMessage.next_attempt_at)).all()
    assert all(d < MORNING for d in due)  # cost warnings do not wait for the morning


def test_repeated_overage_brings_one_upgrade_hint_a_quarter(hotline: Hotline) -> None:
    only_data(hotline)
    usage(hotline, DEMO_ZH, "data", 2 * GB, 3 * GB, period="2026-09")
    usage(hotline, DEMO_ZH, "data", 2 * GB, 1 * GB, period="2026-10")
    usage(hotline, DEMO_ZH, "data", 2 * GB, 1 * GB, period="2026-11")
    run(hotline)
    assert "reminder.upgrade" not in kinds(hotline)
    usage(hotline, DEMO_ZH, "data", 2 * GB, 2 * GB + 100 * MB, period="2026-11")
    run(hotline)
    run(hotline, NOW + dt.timedelta(days=3))
    assert kinds(hotline).count("reminder.upgrade") == 1
    assert (
        "reminder.upgrade",
        "【中国联通】您近2个月流量均超出套餐，升级套餐更划算，详询10010。",
    ) in sms(hotline)


# -- one at a time ---------------------------------------------------------------------------


def test_several_due_at_once_arrive_one_a_run_the_cap_before_the_excess(hotline: Hotline) -> None:
    """The demo's heavy user (issue 24): a low balance, the data quota used up and 15 GB over
    it, and the weekly summary were four SMS in the same minute, the excess before the cap."""
    with transaction(hotline.sessions) as session:
        heavy = session.scalars(Subscriber.by_msisdn(HEAVY)).one()
        heavy.account.balance_fen = 100
    usage(hotline, HEAVY, "data", 40 * GB, 55 * GB + 300 * MB)
    seen = []
    for minutes in range(0, 50, 10):  # the job every 10 minutes
        run(hotline, NOW + dt.timedelta(minutes=minutes))
        seen.append(kinds(hotline, HEAVY))
    assert seen == [
        ["warning.balance_low"],
        ["warning.balance_low", "warning.data_cap"],
        ["warning.balance_low", "warning.data_cap", "warning.data_over"],
        ["warning.balance_low", "warning.data_cap", "warning.data_over", "reminder.data_weekly"],
        ["warning.balance_low", "warning.data_cap", "warning.data_over", "reminder.data_weekly"],
    ]
    assert sms(hotline, HEAVY)[2][1] == (
        "China Unicom: 15.2GB of out-of-plan data used this month, charged at out-of-plan "
        "rates. Consider a data pack."
    )


def test_a_run_right_after_another_adds_nothing(hotline: Hotline) -> None:
    only_data(hotline)
    usage(hotline, DEMO_ZH, "data", 5 * GB, 5 * GB + 1 * GB + 10 * MB)  # cap and over at once
    run(hotline)
    run(hotline, NOW + dt.timedelta(minutes=2))  # e.g. an import's run beside the timer's
    assert kinds(hotline) == ["warning.data_cap"]
    run(hotline, LATER)
    assert kinds(hotline) == ["warning.data_cap", "warning.data_over"]


def test_at_night_one_reminder_waits_for_the_morning_and_a_cost_warning_still_goes(
    hotline: Hotline,
) -> None:
    usage(hotline, DEMO_ZH, "data", 10 * GB, 9 * GB + 900 * MB)  # under 5%, and the summary
    run(hotline, NIGHT)
    run(hotline, NIGHT + dt.timedelta(minutes=10))
    assert kinds(hotline) == ["reminder.data_low"]
    roaming(hotline, DEMO_ZH, dt.date(2026, 11, 26), 12 * MB)
    run(hotline, NIGHT + dt.timedelta(minutes=20))  # a cost warning goes at night all the same
    run(hotline, NIGHT + dt.timedelta(minutes=30))
    assert kinds(hotline) == ["reminder.data_low", "warning.roaming_step"]
    with hotline.sessions() as session:
        due = session.scalars(
            sa.select(OutboxMessage.next_attempt_at)
            .where(OutboxMessage.to_number == DEMO_ZH)
            .order_by(OutboxMessage.id)
        ).all()
    assert due == [MORNING, NIGHT + dt.timedelta(minutes=20)]  # the morning brings one
    for minutes in (10, 20, 30):
        run(hotline, MORNING + dt.timedelta(minutes=minutes))
    assert kinds(hotline) == [
        "reminder.data_low",
        "warning.roaming_step",
        "reminder.roaming_daily",
        "reminder.data_weekly",
    ]


# -- summaries -----------------------------------------------------------------------------


def test_phones_get_a_weekly_and_data_cards_a_daily_data_summary(hotline: Hotline) -> None:
    usage(hotline, DEMO_ZH, "data", 5 * GB, 1 * GB)
    usage(hotline, DATA_CARD, "data", 20 * GB, 2 * GB)
    for day in range(4):  # Thursday to Sunday: one week
        run(hotline, NOW + dt.timedelta(days=day))
    run(hotline, NOW + dt.timedelta(days=4))  # Monday: a new week
    assert sms(hotline) == [
        ("reminder.data_weekly", "【中国联通】流量周报：截至11月26日，本月已用1GB，剩余4GB。"),
        ("reminder.data_weekly", "【中国联通】流量周报：截至11月30日，本月已用1GB，剩余4GB。"),
    ]
    assert kinds(hotline, DATA_CARD) == ["reminder.data_daily"] * 5
    assert sms(hotline, DATA_CARD)[0][1] == (
        "【中国联通】上网卡流量日报：截至11月26日，本月已用2GB，剩余18GB。"
    )


def test_summaries_found_at_night_wait_for_the_morning(hotline: Hotline) -> None:
    usage(hotline, DEMO_EN, "data", 10 * GB, 1 * GB)
    result = run(hotline, NIGHT)
    assert result.for_morning >= 1
    with hotline.sessions() as session:
        message = session.scalars(
            sa.select(OutboxMessage).where(OutboxMessage.to_number == DEMO_EN)
        ).one()
    assert message.kind == "reminder.data_weekly" and message.next_attempt_at == MORNING


# -- roaming -------------------------------------------------------------------------------


def test_roaming_data_is_reported_at_every_10_mb_crossed(hotline: Hotline) -> None:
    only_data(hotline)
    today = dt.date(2026, 11, 26)
    roaming(hotline, DEMO_ZH, today, 5 * MB)
    assert run(hotline).total == 0
    roaming(hotline, DEMO_ZH, today, 12 * MB)
    run(hotline)
    run(hotline)
    roaming(hotline, DEMO_ZH, today, 35 * MB)  # crossed 20 and 30: one SMS
    run(hotline, NIGHT)
    assert sms(hotline) == [
        ("warning.roaming_step", "【中国联通】您今日在日本漫游流量已达12MB，请留意漫游费用。"),
        ("warning.roaming_step", "【中国联通】您今日在日本漫游流量已达35MB，请留意漫游费用。"),
    ]


def test_yesterdays_roaming_is_summed_up_once_in_the_morning(hotline: Hotline) -> None:
    only_data(hotline)
    roaming(hotline, DEMO_EN, dt.date(2026, 11, 25), 8 * MB, country="Japan")
    run(hotline)
    run(hotline, NOW + dt.timedelta(hours=3))
    assert sms(hotline, DEMO_EN) == [
        (
            "reminder.roaming_daily",
            "China Unicom: roaming on 25 Nov, 8MB of data used in Japan. Call 10010 for details.",
        )
    ]


def test_a_maritime_network_is_warned_at_once_even_at_night(hotline: Hotline) -> None:
    only_data(hotline)
    roaming(hotline, DEMO_ZH, dt.date(2026, 11, 26), 0, network="Telenor Maritime", maritime=True)
    run(hotline, NIGHT)
    run(hotline, NIGHT + dt.timedelta(minutes=30))
    [(kind, body)] = sms(hotline)
    assert kind == "warning.maritime"
    assert body == (
        "【中国联通】您已接入海事卫星网络Telenor Maritime，资费极高（流量60.00元/MB），"
        "建议关闭数据漫游。"
    )
    with hotline.sessions() as session:
        assert session.scalars(sa.select(OutboxMessage.next_attempt_at)).one() < MORNING


# -- once, and only once -------------------------------------------------------------------


@pytest.mark.postgres
def test_two_jobs_at_once_send_each_reminder_exactly_once(hotline: Hotline) -> None:
    numbers = (DEMO_ZH, DEMO_EN, "13600136000", DATA_CARD, "18500185000")
    for number in numbers:
        usage(hotline, number, "data", 10 * GB, 9 * GB + 900 * MB)
        usage(hotline, number, "voice", 100, 95)
        roaming(hotline, number, dt.date(2026, 11, 26), 25 * MB)

    def four_jobs_at_once(now: dt.datetime) -> list[reminders.ReminderRun]:
        start = threading.Barrier(4)
        results: list[reminders.ReminderRun] = []

        def job() -> None:
            start.wait()
            results.append(run(hotline, now))

        threads = [threading.Thread(target=job) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        return results

    # Data, voice, roaming and the weekly or daily summary are due for each subscriber: four
    # jobs at once send each one SMS, the roaming step, once; the others wait.
    first = four_jobs_at_once(NOW)
    with hotline.sessions() as session:
        keys = session.execute(sa.select(OutboxMessage.to_number, OutboxMessage.kind)).all()
    assert sorted(keys) == sorted((n, "warning.roaming_step") for n in numbers)
    assert sum(r.total for r in first) == 5
    assert sum(r.already_sent for r in first) == 3 * 5
    # The job's next runs, again four at once each time: one more SMS each, never twice.
    for later in range(1, 4):
        four_jobs_at_once(NOW + later * dt.timedelta(minutes=10))
    with hotline.sessions() as session:
        keys = session.execute(sa.select(OutboxMessage.to_number, OutboxMessage.kind)).all()
    assert len(keys) == len(set(keys)) == 5 * 4


def test_an_opted_out_subscriber_gets_no_reminder_and_the_refusal_is_kept(hotline: Hotline) -> None:
    only_data(hotline)
    with transaction(hotline.sessions) as session:
        session.add(OptOut(msisdn=DEMO_ZH, sender="10010", keyword="TD"))
    usage(hotline, DEMO_ZH, "data", 10 * GB, 9 * GB + 900 * MB)
    roaming(hotline, DEMO_ZH, dt.date(2026, 11, 26), 11 * MB)
    first = run(hotline)  # the cost warning first; the reminder on the next run is refused
    assert (first.refused, first.sent) == (0, Counter({"warning.roaming_step": 1}))
    second = run(hotline, LATER)
    assert (second.refused, second.total) == (1, 0)
    assert run(hotline, LATER + dt.timedelta(minutes=10)).total == 0
    with hotline.sessions() as session:
        statuses = session.execute(sa.select(OutboxMessage.kind, OutboxMessage.status)).all()
    assert sorted(statuses) == [
        ("reminder.data_low", "refused"),
        ("warning.roaming_step", "pending"),
    ]


# -- usage ingest --------------------------------------------------------------------------


def test_usage_ingest_keeps_good_rows_and_reports_bad_ones_by_line(
    hotline: Hotline, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    only_data(hotline)
    usage(hotline, DEMO_ZH, "data", 10 * GB, 0)
    path = tmp_path / "usage.csv"
    path.write_text(
        "event_id,msisdn,at,kind,amount,country,network\n"
        "e1,13800138000,2026-11-26T09:00:00,data,1048576,,\n"
        "e2,13800138000,2026-11-26T09:05:00+08:00,voice,12,,\n"
        "e3,+86 138 0013 8000,2026-11-26T01:10:00Z,roaming_data,15360,日本,NTT DOCOMO\n"
        "e4,13800138000,yesterday,data,10,,\n"
        "e5,13800138000,2026-11-26T09:00:00,fax,1,,\n"
        "e6,13999999999,2026-11-26T09:00:00,data,1,,\n"
        "e7,13800138000,2026-11-26T09:00:00,data,-5,,\n"
        "e8,13800138000,2026-11-26T09:30:00,roaming_attach,,,Cellular@Sea\n",
        encoding="utf-8",
    )
    runner = CliRunner()
    args = ["usage", "ingest", str(path), "--now", "2026-11-26T10:00:00+08:00"]
    result = runner.invoke(main, args, obj=hotline)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[:4] == [
        "line 5: at 'yesterday' is not an ISO 8601 time",
        "line 6: kind 'fax' is not one of data, roaming_attach, roaming_data, sms, voice",
        "line 8: amount -5 is out of range",
        "line 7: no subscriber 13999999999",
    ]
    assert lines[4] == "ingested 4 row(s), 0 already ingested, 4 rejected"
    # The maritime warning first; the roaming step follows on the job's next run.
    assert lines[5] == "queued 1 reminder(s)"
    with hotline.sessions() as session:
        found = session.execute(
            sa.select(UsageCounter.kind, UsageCounter.used)
            .join(Subscriber)
            .where(Subscriber.msisdn == DEMO_ZH, UsageCounter.period == "2026-11")
        )
        counters = {kind: used for kind, used in found}
        day = session.scalars(sa.select(RoamingDay)).one()
    assert counters == {"data": 1048576, "voice": 12}
    assert (day.day, day.data_kb, day.country, day.network, day.maritime) == (
        dt.date(2026, 11, 26),
        15360,
        "日本",
        "Cellular@Sea",
        True,
    )
    assert kinds(hotline) == ["warning.maritime"]
    run(hotline, LATER)
    assert kinds(hotline) == ["warning.maritime", "warning.roaming_step"]
    again = runner.invoke(main, [*args, "--no-reminders"], obj=hotline)
    assert "ingested 0 row(s), 4 already ingested, 4 rejected" in again.output
    with hotline.sessions() as session:
        assert (
            session.scalar(sa.select(UsageCounter.used).where(UsageCounter.kind == "data"))
            == 1048576
        )


def test_usage_ingest_reads_json_lines(hotline: Hotline, tmp_path: Path) -> None:
    path = tmp_path / "usage.jsonl"
    rows = [
        {"msisdn": DEMO_EN, "at": "2026-11-26T08:00:00", "kind": "sms", "amount": 3},
        "not json",
        {"msisdn": DEMO_EN, "at": "2026-11-26T08:00:00", "kind": "data", "amount": "lots"},
    ]
    path.write_text(
        "\n".join(r if isinstance(r, str) else json.dumps(r) for r in rows) + "\n", encoding="utf-8"
    )
    from sms_followup.usage import read_rows

    with path.open(encoding="utf-8") as stream:
        report = ingest(hotline.sessions, read_rows(stream), path.name)
    assert report.ingested == 1
    assert [e.split(":")[0] for e in report.errors] == ["line 2", "line 3"]


def test_reminders_command_runs_with_a_given_time(
    hotline: Hotline, monkeypatch: pytest.MonkeyPatch
) -> None:
    only_data(hotline)
    usage(hotline, DEMO_ZH, "data", 10 * GB, 9 * GB + 900 * MB)
    runner = CliRunner()
    first = runner.invoke(main, ["reminders", "run", "--now", "2026-11-26T23:30:00"], obj=hotline)
    assert first.exit_code == 0, first.output
    assert first.output.splitlines() == [
        "reminder.data_low        1",
        "queued 1 reminder(s), 1 held for the morning, 0 refused (opted out), 1 already sent, "
        "0 for a later run (one SMS at a time)",
    ]
    second = runner.invoke(main, ["reminders", "run", "--now", "2026-11-26T23:40:00"], obj=hotline)
    assert second.output.splitlines()[-1].startswith("queued 0 reminder(s)")


@pytest.mark.parametrize(
    ("hours", "local", "until"),
    [
        ("22:00-08:00", "21:59", None),
        ("22:00-08:00", "22:00", "2026-11-27 08:00"),
        ("22:00-08:00", "03:00", "2026-11-26 08:00"),
        ("22:00-08:00", "08:00", None),
        ("12:00-14:00", "13:00", "2026-11-26 14:00"),
        ("", "03:00", None),
    ],
)
def test_quiet_hours_are_shanghai_time(
    hotline: Hotline, hours: str, local: str, until: str | None
) -> None:
    from ivr.clock import SERVICE_TZ
    from sms_followup.outbox import quiet_until

    settings = hotline.settings.with_overrides({"sms_quiet_hours": hours})
    at = dt.datetime.fromisoformat(f"2026-11-26 {local}").replace(tzinfo=SERVICE_TZ)
    now = at.astimezone(dt.UTC).replace(tzinfo=None)
    expected = None
    if until is not None:
        ends = dt.datetime.fromisoformat(until).replace(tzinfo=SERVICE_TZ)
        expected = ends.astimezone(dt.UTC).replace(tzinfo=None)
    assert quiet_until(now, settings) == expected
