"""流量轨迹: data sessions from `ivr usage ingest` (access type, duration, place), their bad
rows, the trail's aggregate figures (also for a heavy user with 30,000 sessions), the purge."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from hotline.container import Hotline
from ivr.clock import local_date
from ivr.db import transaction
from sms_followup import trail
from sms_followup.trail import DataSession
from tests.support.caller import DEMO_EN, DEMO_ZH
from tests.support.trail import (
    NOW,
    billing_sent_nothing,
    data,
    heavy_user,
    ingest_jsonl,
    local,
    subscriber_id,
)

MB = 1024
# Wednesday 11 March 2031, 10:00 in Shanghai: the window is 1 Dec 2030 … 11 Mar 2031.


@pytest.fixture(autouse=True)
def _nothing_from_billing_yet(hotline: Hotline) -> None:
    """These tests count the sessions they ingest: the demo callers start without any."""
    billing_sent_nothing(hotline)


@pytest.mark.postgres
@pytest.mark.clock(NOW, running=False)
def test_data_rows_keep_duration_access_and_place_and_bad_ones_are_reported_by_line(
    hotline: Hotline,
) -> None:
    long_place = "浦" * 65
    report = ingest_jsonl(
        hotline,
        [
            data(
                "2031-03-10T08:00:00",
                300 * MB,
                duration_s=1800,
                access="5G",
                location="上海市徐汇区",
            ),
            data("2031-03-10T12:00:00", 20 * MB, access="lte", location="Shanghai <b>&</b>"),
            data("2031-03-10T13:00:00", 5, access="WiFi", location="서울 مرحبا Ελλάδα 🚄"),
            data("2031-03-10T14:00:00", 1, access="6G"),  # line 4
            data("2031-03-10T14:00:00", 1, location=long_place),  # line 5
            data("2031-03-10T14:00:00", -1),  # line 6
            data("2031-03-10T14:00:00", 2 * 1024**3),  # line 7: 2 TB in one session
            data("2031-03-12T14:00:00", 1),  # line 8: tomorrow
            data("2030-11-30T23:59:00", 1),  # line 9: before 1 December
            data("2031-03-10T14:00:00", 1, duration_s=-3),  # line 10
            data("2031-03-10T14:00:00", 1, location="bad\x00place"),  # line 11
            data("2030-12-01T00:00:00", 7 * MB, access="2G", location="Ελλάδα"),  # first day kept
        ],
    )
    assert report.ingested == 4
    reasons = {int(e.split(":")[0].split()[1]): e for e in report.errors}
    assert sorted(reasons) == [4, 5, 6, 7, 8, 9, 10, 11]
    assert "access '6G' is not one of 5G, 4G, 3G, 2G, WLAN" in reasons[4]
    assert "location longer than 64 characters" in reasons[5]
    assert "amount -1 is out of range" in reasons[6]
    assert "more than one data session" in reasons[7]
    assert "in the future" in reasons[8]
    assert "three months back" in reasons[9]
    assert "duration_s -3 is out of range" in reasons[10]
    assert "control" in reasons[11]
    with hotline.sessions() as session:
        kept = session.execute(
            sa.select(
                DataSession.day,
                DataSession.kb,
                DataSession.duration_s,
                DataSession.access,
                DataSession.location,
            ).order_by(DataSession.started_at)
        ).all()
    assert kept == [
        (dt.date(2030, 12, 1), 7 * MB, None, "2G", "Ελλάδα"),
        (dt.date(2031, 3, 10), 300 * MB, 1800, "5G", "上海市徐汇区"),
        (dt.date(2031, 3, 10), 20 * MB, None, "4G", "Shanghai <b>&</b>"),
        (dt.date(2031, 3, 10), 5, None, "WLAN", "서울 مرحبا Ελλάδα 🚄"),
    ]


@pytest.mark.postgres
@pytest.mark.clock(NOW, running=False)
def test_the_trail_sums_months_days_by_access_and_finds_the_top_day(hotline: Hotline) -> None:
    ingest_jsonl(
        hotline,
        [
            data("2030-12-31T23:30:00", 100 * MB, access="4G", location="北京"),  # Shanghai day
            data("2031-01-15T09:00:00", 400 * MB, access="5G", location="杭州"),
            data("2031-01-15T10:00:00", 300 * MB, access="WLAN", location="杭州"),
            data("2031-01-15T11:00:00", 200 * MB, access="5G", location="苏州"),
            data("2031-02-02T09:00:00", 50 * MB),
            data("2031-03-01T09:00:00", 10 * MB, access="3G", location="上海"),
            {
                "msisdn": DEMO_EN,
                "at": local("2031-03-01T09:00:00"),
                "kind": "data",
                "amount": 999 * MB,
            },
        ],
    )
    owner = subscriber_id(hotline, DEMO_ZH)
    with hotline.sessions() as session:
        figures = trail.trail(session, owner, local_date(NOW))
        sessions = trail.sessions_of_day(session, owner, dt.date(2031, 1, 15))
    assert figures.start == dt.date(2030, 12, 1)
    assert figures.months == {
        "2030-12": 100 * MB,
        "2031-01": 900 * MB,
        "2031-02": 50 * MB,
        "2031-03": 10 * MB,
    }
    assert figures.last_three_months_kb == 1050 * MB
    assert figures.this_month_kb == 10 * MB
    assert figures.days[dt.date(2031, 1, 15)] == {"5G": 600 * MB, "WLAN": 300 * MB}
    assert figures.days[dt.date(2031, 2, 2)] == {"other": 50 * MB}
    assert figures.sessions == 6
    assert figures.top == trail.TopDay(dt.date(2031, 1, 15), 900 * MB, "5G", "杭州")
    assert [(s.access, s.kb, s.location) for s in sessions] == [
        ("5G", 400 * MB, "杭州"),
        ("WLAN", 300 * MB, "杭州"),
        ("5G", 200 * MB, "苏州"),
    ]


@pytest.mark.postgres
@pytest.mark.clock(NOW, running=False)
def test_a_heavy_user_with_30000_sessions_gets_exact_figures(hotline: Hotline) -> None:
    expected = heavy_user(hotline)
    owner = subscriber_id(hotline, DEMO_ZH)
    with hotline.sessions() as session:
        figures = trail.trail(session, owner, local_date(NOW))
    assert figures.sessions == 30_000
    assert {day: figures.day_kb(day) for day in figures.days} == expected
    assert sum(figures.months.values()) == sum(expected.values())
    best = max(expected, key=lambda d: (expected[d], d))
    assert figures.top is not None and (figures.top.day, figures.top.kb) == (best, expected[best])


@pytest.mark.clock(NOW, running=False)
def test_the_worker_purges_sessions_older_than_the_window(hotline: Hotline) -> None:
    owner = subscriber_id(hotline, DEMO_ZH)
    with transaction(hotline.sessions) as session:
        for day in (dt.date(2030, 11, 30), dt.date(2030, 12, 1)):
            session.add(
                DataSession(
                    subscriber_id=owner,
                    started_at=dt.datetime.combine(day, dt.time(4)),
                    day=day,
                    kb=1,
                )
            )
    from sms_followup.settings import SmsSettings
    from sms_followup.worker import OutboxWorker

    worker = OutboxWorker(
        hotline.sessions, hotline.sender, SmsSettings.of(hotline.settings), hotline.clock
    )
    worker.run_once()
    with hotline.sessions() as session:
        assert session.scalars(sa.select(DataSession.day)).all() == [dt.date(2030, 12, 1)]


@pytest.mark.clock(NOW, running=False)
def test_the_trail_command_prints_the_same_figures(hotline: Hotline) -> None:
    from click.testing import CliRunner

    from hotline.cli import main

    ingest_jsonl(
        hotline,
        [
            data("2031-01-15T09:00:00", 400 * MB, access="5G", location="杭州"),
            data("2031-01-15T10:00:00", 300 * MB, access="WLAN", location="杭州"),
            data("2031-03-01T09:00:00", 10 * MB, access="3G", location="上海"),
            data("2031-03-02T09:00:00", 512),
        ],
    )
    runner = CliRunner()
    result = runner.invoke(main, ["usage", "trail", DEMO_ZH], obj=hotline)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == f"data usage trail of {DEMO_ZH}, 2030-12-01 to 2031-03-11 (Asia/Shanghai)"
    assert "last three months  700.0 MB" in lines
    assert "this month so far  10.5 MB" in lines
    assert "  2031-01          700.0 MB" in lines
    assert "busiest day        2031-01-15 700.0 MB mostly 5G in Hangzhou" in lines
    assert "sessions           4" in lines
    march = [line for line in lines if line.startswith("  2031-03-0")]
    assert [line.split()[0] for line in march] == ["2031-03-01", "2031-03-02"]
    assert march[0].split()[-2:] == ["10.0", "MB"]
    january = runner.invoke(main, ["usage", "trail", DEMO_ZH, "--month", "2031-01"], obj=hotline)
    assert "  2031-01-15" in january.output and "2031-03-01" not in january.output
    too_old = runner.invoke(main, ["usage", "trail", DEMO_ZH, "--month", "2030-11"], obj=hotline)
    assert too_old.exit_code != 0 and "2030-11" in too_old.output
    nobody = runner.invoke(main, ["usage", "trail", "13999999999"], obj=hotline)
    assert nobody.exit_code != 0 and "no subscriber" in nobody.output
