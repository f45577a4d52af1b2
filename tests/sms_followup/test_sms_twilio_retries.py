"""Retries by time, not by count: each message has a time to live; outages shorter than it
lose nothing; permanent answers dead-letter with Twilio's code; refused credentials pause
sending and never dead-letter. Time is the test's clock, advanced, never slept."""

from __future__ import annotations

import datetime as dt
import logging
import random
from collections import Counter
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from hotline.cli import main
from hotline.container import Hotline, sms_sender
from hotline.settings import load_settings
from ivr.db import transaction
from sms_followup import outbox, pause
from sms_followup.models import OptOut, OutboxMessage, OutboxStatus
from sms_followup.settings import SmsSettings
from sms_followup.worker import OutboxWorker, Pass
from tests.support.caller import DEMO_ZH
from tests.support.clocks import TestClock
from tests.support.live import free_port
from tests.support.sms_harness import MESSAGES, SERVICE_FROM, Wire, add_pending, outbox_rows

HANDSET = "+86" + DEMO_ZH


@pytest.fixture
def settings_overrides(wire: Wire) -> dict[str, Any]:
    return wire.overrides()


def worker(hotline: Hotline, seed: int = 7) -> OutboxWorker:
    return OutboxWorker(
        hotline.sessions,
        hotline.sender,
        SmsSettings.of(hotline.settings),
        hotline.clock,
        rng=random.Random(seed),
    )


def next_due(hotline: Hotline) -> dt.datetime | None:
    """When the next attempt is due: the next message's, or the next probe while sending is
    paused."""
    with hotline.sessions() as session:
        due = session.scalar(
            sa.select(sa.func.min(OutboxMessage.next_attempt_at)).where(
                OutboxMessage.status == "pending"
            )
        )
        paused = pause.sending_paused(session)
    if due is None or paused is None:
        return due
    return max(due, paused.until)


def run_until(hotline: Hotline, clock: TestClock, until: dt.datetime) -> list[Pass]:
    """Passes of one worker, the clock jumped to each next due message, until *until*."""
    passes, w = [], worker(hotline)
    while clock.now() < until:
        passes.append(w.run_once())
        due = next_due(hotline)
        if due is None:
            break
        clock.set(max(min(due, until), clock.now()) + dt.timedelta(milliseconds=1))
    passes.append(w.run_once())
    return passes


def sent_bodies(wire: Wire) -> Counter[str]:
    return Counter(form["Body"] for form in wire.creates())


def test_an_outage_longer_than_ten_minutes_dead_letters_nothing_and_sends_each_once(
    live: Wire, hotline: Hotline, clock: TestClock
) -> None:
    add_pending(hotline, 4)
    with transaction(hotline.sessions) as session:
        outbox.enqueue(
            session,
            SmsSettings.of(hotline.settings),
            kind="call_summary",
            to=DEMO_ZH,
            body="summary",
            language="zh-CN",
            now=clock.now(),
        )
    start = clock.now()
    live.standin.faults.add(MESSAGES, status=503, count=None, method="POST")
    passes = run_until(hotline, clock, start + dt.timedelta(minutes=8))
    live.standin.faults.clear()
    live.standin.faults.add(MESSAGES, status=429, count=None, retry_after=90, method="POST")
    passes += run_until(hotline, clock, start + dt.timedelta(minutes=25))
    assert sum(p.retried for p in passes) >= 10
    live.standin.faults.clear()
    passes += run_until(hotline, clock, start + dt.timedelta(minutes=45))
    live.settle()
    assert sum(p.dead for p in passes) == 0
    assert sent_bodies(live) == Counter(["msg 0000", "msg 0001", "msg 0002", "msg 0003", "summary"])
    rows = outbox_rows(hotline)
    assert {r.status for r in rows} == {"delivered"}
    assert {(r.last_error, r.error_code) for r in rows} == {(None, None)}


def test_refused_credentials_pause_sending_and_dead_letter_nothing(
    live: Wire, hotline: Hotline, clock: TestClock, caplog: pytest.LogCaptureFixture
) -> None:
    add_pending(hotline, 3)
    start = clock.now()
    live.standin.faults.add(
        MESSAGES, status=401, code=20003, message="Authenticate", count=None, method="POST"
    )
    running = worker(hotline)
    with caplog.at_level(logging.ERROR, logger="sms_followup.pause"):
        first = running.run_once()
    assert (first.paused, first.sent, first.dead) == (1, 0, 0)
    assert "sms.sending_paused" in caplog.messages
    # One request found out; the rest were put back untried.
    assert len([r for r in live.standin.requests if r.method == "POST"]) == 1
    with hotline.sessions() as session:
        paused = pause.sending_paused(session)
    assert paused is not None and "20003" in paused.reason
    assert running.run_once() == Pass()  # paused: nothing tried before the next probe

    passes = run_until(hotline, clock, start + dt.timedelta(hours=2))
    assert sum(p.dead for p in passes) == 0
    assert {r.status for r in outbox_rows(hotline)} == {"pending"}
    live.standin.faults.clear()  # the token is fixed
    passes = run_until(hotline, clock, clock.now() + dt.timedelta(minutes=5))
    live.settle()
    assert sent_bodies(live) == Counter(["msg 0000", "msg 0001", "msg 0002"])
    rows = outbox_rows(hotline)
    assert {(r.status, r.last_error, r.error_code) for r in rows} == {("delivered", None, None)}
    with hotline.sessions() as session:
        assert pause.sending_paused(session) is None


def drive(running: OutboxWorker, hotline: Hotline, clock: TestClock, until: dt.datetime) -> None:
    """Run *running* as ``ivr worker`` does (another pass at once while there is work, else
    sleep a second) until *until*; a sleep while sending is paused jumps to the next probe,
    as nothing can happen before it."""
    while clock.now() < until:
        if running.run_once() != Pass():
            continue
        with hotline.sessions() as session:
            paused = pause.sending_paused(session)
        wake = paused.until if paused else clock.now() + dt.timedelta(seconds=1)
        clock.set(min(max(wake, clock.now() + dt.timedelta(seconds=1)), until))


def sent_at(hotline: Hotline) -> list[dt.datetime]:
    return [r.sent_at for r in outbox_rows(hotline) if r.sent_at is not None]


@pytest.mark.postgres
@pytest.mark.parametrize("outage_s", [150, 25 * 60])
def test_after_an_outage_every_waiting_message_goes_within_30_s_of_twilios_return(
    live: Wire, hotline: Hotline, clock: TestClock, outage_s: int
) -> None:
    """Twilio answers 503 for *outage_s*; messages keep coming meanwhile. Sending pauses for
    all of them and probes every 15 s, so the first probe after Twilio's return sends every
    waiting message, each exactly once."""
    settings = SmsSettings.of(hotline.settings)
    start = clock.now()
    live.standin.faults.add(MESSAGES, status=503, count=None, method="POST")
    running = worker(hotline)
    for minute in range(0, outage_s // 60 + 1, max(1, outage_s // 600)):
        clock.set(max(clock.now(), start + dt.timedelta(minutes=minute)))
        add_pending(hotline, 2, prefix=f"minute {minute:02d}")
        with transaction(hotline.sessions) as session:
            outbox.enqueue(
                session,
                settings,
                kind="call_summary",
                to=DEMO_ZH,
                body=f"summary {minute:02d}",
                language="zh-CN",
                now=clock.now(),
            )
        drive(
            running,
            hotline,
            clock,
            min(clock.now() + dt.timedelta(minutes=1), start + dt.timedelta(seconds=outage_s)),
        )
    drive(running, hotline, clock, start + dt.timedelta(seconds=outage_s))
    # Twilio comes back 1 s after a probe failed: the worst case, 14 s before the next one.
    with hotline.sessions() as session:
        paused = pause.sending_paused(session)
    assert paused is not None
    drive(running, hotline, clock, paused.until + dt.timedelta(seconds=1))
    assert sent_at(hotline) == []
    live.standin.faults.clear()  # Twilio is back
    back = clock.now()
    drive(running, hotline, clock, back + dt.timedelta(seconds=60))
    live.settle()

    rows = outbox_rows(hotline)
    assert {r.status for r in rows} == {"delivered"}
    assert max(sent_at(hotline)) <= back + dt.timedelta(seconds=30)
    assert sent_bodies(live) == Counter(r.body for r in rows)  # each exactly once
    with hotline.sessions() as session:
        assert pause.sending_paused(session) is None


def test_a_refused_connection_pauses_sending_like_an_outage(
    live: Wire, hotline: Hotline, clock: TestClock
) -> None:
    add_pending(hotline, 2)
    down = hotline.settings.with_overrides(
        {"twilio_api_base_url": f"http://127.0.0.1:{free_port()}"}
    )
    result = OutboxWorker(
        hotline.sessions,
        sms_sender(down, hotline.sessions, hotline.clock),
        SmsSettings.of(hotline.settings),
        hotline.clock,
    ).run_once()
    assert (result.paused, result.dead, result.sent) == (1, 0, 0)
    with hotline.sessions() as session:
        paused = pause.sending_paused(session)
    assert paused is not None and paused.cause == pause.PROVIDER
    assert paused.until == paused.since + pause.PROVIDER_PROBE_EVERY
    # The refused attempt may have reached Twilio: it is looked for before it is sent again.
    assert [r.outcome_unknown_since is not None for r in outbox_rows(hotline)] == [True, False]
    clock.advance(pause.PROVIDER_PROBE_EVERY.total_seconds())
    assert worker(hotline).run_once().sent == 2
    live.settle()
    assert sent_bodies(live) == Counter(["msg 0000", "msg 0001"])


NOT_OURS = "+8613099999999"  # well formed, but not a number of the account


@pytest.mark.postgres
def test_a_wrong_twilio_sms_from_dead_letters_nothing_and_a_fixed_restart_sends_everything(
    live: Wire, hotline: Hotline, caplog: pytest.LogCaptureFixture
) -> None:
    add_pending(hotline, 5)
    wrong = hotline.settings.with_overrides({"twilio_sms_from": NOT_OURS})
    misconfigured = OutboxWorker(
        hotline.sessions,
        sms_sender(wrong, hotline.sessions, hotline.clock),
        SmsSettings.of(wrong),
        hotline.clock,
    )
    with caplog.at_level(logging.ERROR, logger="sms_followup.pause"):
        result = misconfigured.run_once()
    assert (result.paused, result.dead, result.sent) == (1, 0, 0)
    # The stand-in refused it as Twilio does: 21606, the sender is not the account's.
    assert [r.status for r in live.standin.requests if r.method == "POST"] == [400]
    [paused_line] = [r for r in caplog.records if r.getMessage() == "sms.sending_paused"]
    assert "21606" in paused_line.__dict__["reason"]
    assert paused_line.__dict__["fix"] == (
        f"check TWILIO_SMS_FROM / TWILIO_SMS_FROM_MAP: {NOT_OURS} must be a number of this "
        "account that can send SMS"
    )
    outbox_listing = CliRunner().invoke(main, ["sms", "outbox"], obj=hotline).output
    assert outbox_listing.startswith("SMS sending paused since ")
    assert f"check TWILIO_SMS_FROM / TWILIO_SMS_FROM_MAP: {NOT_OURS}" in outbox_listing
    rows = outbox_rows(hotline)
    assert {r.status for r in rows} == {"pending"}
    assert [r.error_code for r in rows] == ["21606", None, None, None, None]

    # TWILIO_SMS_FROM is fixed and the worker restarted: everything goes at once, though
    # the pause the old worker recorded is not over yet.
    assert worker(hotline).run_once().sent == 5
    live.settle()
    assert sent_bodies(live) == Counter(f"msg {i:04d}" for i in range(5))
    assert {(r.status, r.error_code) for r in outbox_rows(hotline)} == {("delivered", None)}


@pytest.mark.parametrize(
    ("code", "fix"),
    [
        (20003, "TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN"),
        (21212, "TWILIO_SMS_FROM"),
        (21606, "TWILIO_SMS_FROM"),
        (21659, "TWILIO_SMS_FROM"),
        (21660, "TWILIO_SMS_FROM"),
        (21701, "TWILIO_SMS_FROM"),
        (21611, "queued at Twilio"),
    ],
)
def test_the_accounts_errors_pause_sending_and_say_what_to_fix(
    live: Wire, hotline: Hotline, code: int, fix: str
) -> None:
    add_pending(hotline, 3)
    live.standin.faults.add(MESSAGES, status=400, code=code, count=None, method="POST")
    result = worker(hotline).run_once()
    assert (result.paused, result.dead) == (1, 0)
    with hotline.sessions() as session:
        paused = pause.sending_paused(session)
    assert paused is not None and paused.cause == pause.ACCOUNT
    assert str(code) in paused.reason and fix in paused.reason
    assert paused.until == paused.since + pause.ACCOUNT_PROBE_EVERY
    assert {r.status for r in outbox_rows(hotline)} == {"pending"}


@pytest.mark.parametrize(
    ("status", "code", "message"),
    [
        (400, 21211, "Invalid 'To' Phone Number"),
        (400, 21614, "'To' number is not a valid mobile number"),
        (400, 21617, "The concatenated message body exceeds the 1600 character limit"),
    ],
)
def test_permanent_answers_dead_letter_at_once_with_twilios_code(
    live: Wire, hotline: Hotline, status: int, code: int, message: str
) -> None:
    [outbox_id] = add_pending(hotline, 1)
    live.standin.faults.add(MESSAGES, status=status, code=code, message=message, method="POST")
    assert worker(hotline).run_once().dead == 1
    [row] = outbox_rows(hotline)
    assert (row.id, row.status, row.error_code, row.attempts) == (outbox_id, "dead", str(code), 1)
    assert str(code) in (row.last_error or "")


def test_21610_records_an_opt_out_from_the_logical_sender(live: Wire, hotline: Hotline) -> None:
    live.standin.faults.add(
        MESSAGES, status=400, code=21610, message="Attempt to send to unsubscribed recipient"
    )
    add_pending(hotline, 1)
    assert worker(hotline).run_once().dead == 1
    with hotline.sessions() as session:
        [opt_out] = session.scalars(sa.select(OptOut))
    assert (opt_out.msisdn, opt_out.sender) == (DEMO_ZH, "10010")


def _pending(hotline: Hotline, to: str, body: str) -> int:
    with transaction(hotline.sessions) as session:
        row = OutboxMessage(
            kind="test",
            to_number=to,
            from_number="10010",
            language="zh-CN",
            body=body,
            status=OutboxStatus.PENDING,
        )
        session.add(row)
        session.flush()
        return row.id


def test_the_stand_ins_own_refusals_dead_letter_with_their_code(
    live: Wire, hotline: Hotline
) -> None:
    """Not injected: what the stand-in refuses as Twilio would (a landline, a body over 1600
    characters, a handset that texted STOP to the number the service sends from)."""
    live.network.messages.not_mobile("+862161234567")
    live.network.send_sms("+8613900139000", SERVICE_FROM, "STOP")  # Twilio's own opt-out
    landline = _pending(hotline, "02161234567", "座机收不到短信")
    too_long = _pending(hotline, DEMO_ZH, "长" * 1601)
    stopped = _pending(hotline, "13900139000", "提醒")

    assert worker(hotline).run_once().dead == 3

    codes = {r.id: (r.status, r.error_code) for r in outbox_rows(hotline)}
    assert codes == {
        landline: ("dead", "21614"),
        too_long: ("dead", "21617"),
        stopped: ("dead", "21610"),
    }
    with hotline.sessions() as session:
        opt_outs = {(o.msisdn, o.sender) for o in session.scalars(sa.select(OptOut))}
    assert ("13900139000", "10010") in opt_outs
    assert live.creates() == []


def test_a_message_that_stays_undeliverable_expires_with_its_time_to_live(
    live: Wire, hotline: Hotline, clock: TestClock
) -> None:
    settings = SmsSettings.of(hotline.settings)
    with transaction(hotline.sessions) as session:
        outbox.enqueue(
            session,
            settings,
            kind="password_temporary",
            to=DEMO_ZH,
            body="temporary 123456",
            language="zh-CN",
            now=clock.now(),
        )
    start = clock.now()
    live.standin.faults.add(MESSAGES, status=503, count=None, method="POST")
    passes = run_until(hotline, clock, start + dt.timedelta(hours=1))
    [row] = outbox_rows(hotline)
    assert row.status == "dead" and sum(p.dead for p in passes) == 1
    assert (row.last_error or "").startswith("expired after")
    assert row.next_attempt_at <= outbox.expires_at(row.kind, row.created_at, settings)


def test_times_to_live_per_kind() -> None:
    settings = load_settings({})
    noon = dt.datetime(2026, 11, 30, 4, 0)  # 12:00 in Shanghai
    assert outbox.expires_at("password_temporary", noon, settings) - noon < dt.timedelta(hours=1)
    assert dt.timedelta(hours=1) < outbox.expires_at("call_summary", noon, settings) - noon
    assert outbox.expires_at("call_summary", noon, settings) - noon <= dt.timedelta(hours=6)
    # A reminder: until its day ends in Shanghai (16:00 UTC).
    assert outbox.expires_at("reminder.data_low", noon, settings) == dt.datetime(
        2026, 11, 30, 16, 0
    )
    # Written in the quiet night (23:00 Shanghai), it goes in the morning: that day's end.
    night = dt.datetime(2026, 11, 30, 15, 0)
    assert outbox.expires_at("reminder.data_low", night, settings) == dt.datetime(
        2026, 12, 1, 16, 0
    )


def test_an_empty_sms_quiet_hours_means_none() -> None:
    settings = load_settings({"SMS_QUIET_HOURS": ""})
    assert settings.sms_quiet_hours == ""
    assert outbox.quiet_until(dt.datetime(2026, 11, 30, 15, 0), settings) is None
    assert load_settings({}).sms_quiet_hours == "22:00-08:00"
