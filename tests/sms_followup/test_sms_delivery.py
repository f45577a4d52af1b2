"""SMS that never gets lost: the outbox worker through the real twilio client and the local
stand-in, with retries, Retry-After, dead letters, status callbacks and concurrent workers."""

from __future__ import annotations

import datetime as dt
import random
import threading
from collections import Counter
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from flask import Flask

from hotline.cli import main
from hotline.container import Hotline, sms_sender
from ivr.db import transaction
from sms_followup import outbox, pause
from sms_followup.models import OptOut, OutboxMessage, StatusEvent
from sms_followup.senders import OutgoingSms, parse_retry_after
from sms_followup.templates import segments
from sms_followup.worker import OutboxWorker, max_batch
from tests.support.caller import DEMO_ZH, Caller, TwilioClient
from tests.support.clocks import TestClock
from tests.support.polling import PATIENCE_S, wait_for
from tests.support.sms_harness import (
    MESSAGES,
    SERVICE_FROM,
    Wire,
    add_pending,
    history,
    outbox_rows,
)

HANDSET = "+86" + DEMO_ZH


@pytest.fixture
def settings_overrides(wire: Wire) -> dict[str, Any]:
    return wire.overrides()


def worker(hotline: Hotline, seed: int = 1) -> OutboxWorker:
    return OutboxWorker(
        hotline.sessions, hotline.sender, hotline.settings, hotline.clock, rng=random.Random(seed)
    )


def make_due(hotline: Hotline) -> None:
    with hotline.sessions.begin() as session:
        session.execute(sa.update(OutboxMessage).values(next_attempt_at=hotline.clock.now()))


def test_worker_sends_through_twilio_and_callbacks_mark_each_message_delivered(
    live: Wire, hotline: Hotline
) -> None:
    ids = add_pending(hotline, 3)
    assert worker(hotline).run_once().sent == 3
    live.settle()
    creates = live.creates()
    assert sorted(c["Body"] for c in creates) == ["msg 0000", "msg 0001", "msg 0002"]
    assert {(c["To"], c["From"], c["StatusCallback"]) for c in creates} == {
        (HANDSET, SERVICE_FROM, live.url + "/sms/status#rc=5&rp=ct,rt,5xx")
    }  # 10010 is the logical sender; Twilio sends from the number the account owns
    rows = outbox_rows(hotline)
    assert [(r.status, r.attempts) for r in rows] == [("delivered", 1)] * 3
    steps = history(hotline, ids[0])
    assert steps[0] == ("worker", "sending")
    assert Counter(steps) == Counter(
        [
            ("worker", "sending"),
            ("worker", "sent"),
            ("callback", "sent"),
            ("callback", "delivered"),
        ]
    )
    assert live.inbox(HANDSET) == ["msg 0000", "msg 0001", "msg 0002"]


def test_a_server_error_pauses_sending_until_the_next_probe_sends_it_once(
    live: Wire, hotline: Hotline, clock: TestClock
) -> None:
    [outbox_id] = add_pending(hotline, 1)
    live.standin.faults.add(MESSAGES, status=500, count=1, method="POST")
    running = worker(hotline)
    result = running.run_once()
    assert (result.sent, result.retried, result.paused) == (0, 1, 1)
    [row] = outbox_rows(hotline)
    assert (row.status, row.attempts) == ("pending", 1)
    assert "HTTP 500" in (row.last_error or "")
    assert running.run_once().sent == 0  # Twilio is down for everyone: wait for the probe
    clock.advance(pause.PROVIDER_PROBE_EVERY.total_seconds())
    assert running.run_once().sent == 1
    live.settle()
    assert len(live.creates()) == 1
    assert outbox_rows(hotline)[0].status == "delivered"
    steps = [s for _, s in history(hotline, outbox_id)]
    assert steps[:3] == ["sending", "retry", "sending"]
    assert sorted(steps[3:]) == ["delivered", "sent", "sent"]


def test_rate_limit_waits_at_least_retry_after(live: Wire, hotline: Hotline) -> None:
    add_pending(hotline, 1)
    live.standin.faults.add(MESSAGES, status=429, count=1, retry_after=120, method="POST")
    before = hotline.clock.now()
    assert worker(hotline).run_once().retried == 1
    [row] = outbox_rows(hotline)
    assert row.next_attempt_at >= before + dt.timedelta(seconds=120)
    assert "HTTP 429" in (row.last_error or "")
    assert worker(hotline).run_once().sent == 0  # not due before Retry-After


@pytest.mark.parametrize(
    ("header", "seconds"),
    [("7", 7.0), ("0.5", 0.5), ("Thu, 26 Nov 2026 10:01:00 GMT", 60.0), ("soon", None), ("", None)],
)
def test_retry_after_is_read_as_seconds_or_an_http_date(header: str, seconds: float | None) -> None:
    now = dt.datetime(2026, 11, 26, 10, 0, 0)
    assert parse_retry_after(header, now) == seconds


def test_a_timed_out_send_the_provider_took_is_adopted_not_sent_again(
    wire: Wire, app: Flask, hotline: Hotline
) -> None:
    wire.serve(app)
    settings = hotline.settings.with_overrides({"sms_send_timeout_s": 1})
    sender = sms_sender(settings, hotline.sessions, hotline.clock)
    add_pending(hotline, 1)
    held = wire.standin.faults.add(MESSAGES, status=None, hold=True, count=1, method="POST")
    first = OutboxWorker(
        hotline.sessions, sender, settings, hotline.clock, rng=random.Random(1)
    ).run_once()  # the stand-in holds the request: the client gives up after 1 s
    assert first.retried == 1
    [row] = outbox_rows(hotline)
    assert (row.status, row.outcome_unknown_since) == ("pending", row.claimed_at)
    assert (row.last_error or "").startswith("ReadTimeout: ")
    held.release()  # the stand-in accepts it after the client gave up
    assert held.wait_answered()
    assert len(wire.creates()) == 1
    make_due(hotline)
    second = OutboxWorker(hotline.sessions, sender, settings, hotline.clock).run_once()
    assert (second.sent, second.adopted) == (1, 1)
    wire.settle()
    assert len(wire.creates()) == 1
    [row] = outbox_rows(hotline)
    assert row.provider_sid == wire.network.messages.all()[0].sid
    assert row.status == "delivered" and row.outcome_unknown_since is None
    assert ("worker", "sent") in history(hotline, row.id)


def test_expired_lease_is_sent_again_when_the_provider_never_got_it(
    live: Wire, hotline: Hotline
) -> None:
    [outbox_id] = add_pending(hotline, 1)
    with transaction(hotline.sessions) as session:
        row = session.get_one(OutboxMessage, outbox_id)
        lease = dt.timedelta(seconds=hotline.settings.sms_lease_s + 1)
        row.status, row.claimed_at, row.attempts = "sending", hotline.clock.now() - lease, 1
    result = worker(hotline).run_once()
    assert (result.sent, result.adopted) == (1, 0)
    live.settle()
    assert len(live.creates()) == 1
    # The worker asked the provider first, found nothing, and sent.
    assert [(r.method, r.status) for r in live.standin.requests] == [("GET", 200), ("POST", 201)]
    [row] = outbox_rows(hotline)
    assert (row.status, row.attempts, row.outcome_unknown_since) == ("delivered", 2, None)
    # Each source in its order (a callback may come before the worker records the SID).
    steps = history(hotline, outbox_id)
    assert [s for source, s in steps if source == "worker"] == ["lease_expired", "sending", "sent"]
    assert [s for source, s in steps if source == "callback"] == ["sent", "delivered"]


def test_permanent_error_dead_letters_at_once_with_the_reason(live: Wire, hotline: Hotline) -> None:
    [outbox_id] = add_pending(hotline, 1)
    live.standin.faults.add(
        MESSAGES, status=400, code=21211, message="Invalid 'To' Phone Number", method="POST"
    )
    assert worker(hotline).run_once().dead == 1
    [row] = outbox_rows(hotline)
    assert (row.status, row.attempts, row.error_code) == ("dead", 1, "21211")
    assert "Invalid 'To' Phone Number" in (row.last_error or "")
    assert history(hotline, outbox_id)[-1] == ("worker", "dead")


def test_transient_failures_dead_letter_only_when_the_time_to_live_is_over(
    live: Wire, hotline: Hotline
) -> None:
    add_pending(hotline, 1)
    live.standin.faults.add(MESSAGES, status=503, count=None, method="POST")
    for _ in range(20):  # many more attempts than the old count limit: still pending
        make_due(hotline)
        worker(hotline).run_once()
    [row] = outbox_rows(hotline)
    assert (row.status, row.attempts) == ("pending", 20)
    hotline.clock.advance(25 * 3600)  # past the day a message of this kind is worth
    make_due(hotline)
    worker(hotline).run_once()
    [row] = outbox_rows(hotline)
    assert (row.status, row.attempts) == ("dead", 21)
    assert (row.last_error or "").startswith("expired after 21 attempt(s)")
    assert live.creates() == []


def test_dead_letter_can_be_retried_by_the_operator(
    live: Wire, hotline: Hotline, monkeypatch: pytest.MonkeyPatch
) -> None:
    [outbox_id] = add_pending(hotline, 1)
    live.standin.faults.add(MESSAGES, status=400, code=21211, method="POST")
    worker(hotline).run_once()
    retried = CliRunner().invoke(main, ["sms", "retry", str(outbox_id)], obj=hotline)
    assert retried.exit_code == 0, retried.output
    assert worker(hotline).run_once().sent == 1


def test_provider_opt_out_21610_is_recorded_and_not_retried(live: Wire, hotline: Hotline) -> None:
    live.network.opt_outs.observe(HANDSET, SERVICE_FROM, "STOP")
    add_pending(hotline, 1)
    assert worker(hotline).run_once().dead == 1
    [row] = outbox_rows(hotline)
    assert row.error_code == "21610"
    with hotline.sessions() as session:
        opt_out = session.scalars(sa.select(OptOut)).one()
    assert (opt_out.msisdn, opt_out.sender) == (DEMO_ZH, "10010")


def test_undelivered_callback_keeps_the_error_code(live: Wire, hotline: Hotline) -> None:
    live.network.messages.fail_deliveries_to(HANDSET, 30003)
    add_pending(hotline, 1)
    worker(hotline).run_once()
    live.settle()
    [row] = outbox_rows(hotline)
    assert (row.status, row.error_code) == ("undelivered", "30003")


# -- /sms/status ---------------------------------------------------------------------------


def _sent_row(hotline: Hotline, sid: str) -> int:
    [outbox_id] = add_pending(hotline, 1)
    with transaction(hotline.sessions) as session:
        row = session.get_one(OutboxMessage, outbox_id)
        row.status, row.provider_sid, row.sent_at = "sent", sid, hotline.clock.now()
    return outbox_id


def _callback(twilio: TwilioClient, sid: str, status: str, **extra: str) -> Any:
    params = {
        "MessageSid": sid,
        "SmsSid": sid,
        "MessageStatus": status,
        "SmsStatus": status,
        "AccountSid": twilio.settings.twilio_account_sid,
        "From": SERVICE_FROM,
        "To": HANDSET,
        "ApiVersion": "2010-04-01",
        **extra,
    }
    return twilio.post("/sms/status", params)


SID = "SM" + "a" * 32


@pytest.mark.postgres
def test_replayed_status_callback_changes_nothing(twilio: TwilioClient, hotline: Hotline) -> None:
    outbox_id = _sent_row(hotline, SID)
    for _ in range(3):
        response = _callback(twilio, SID, "delivered")
        assert response.status_code == 200
        assert response.get_data(as_text=True).endswith("<Response />")
    assert outbox_rows(hotline)[0].status == "delivered"
    assert history(hotline, outbox_id).count(("callback", "delivered")) == 1


@pytest.mark.postgres
def test_out_of_order_callbacks_never_move_a_message_backwards(
    twilio: TwilioClient, hotline: Hotline
) -> None:
    outbox_id = _sent_row(hotline, SID)
    for status in ("delivered", "sent", "queued", "sending"):
        assert _callback(twilio, SID, status).status_code == 200
    assert outbox_rows(hotline)[0].status == "delivered"
    assert [s for src, s in history(hotline, outbox_id) if src == "callback"] == [
        "delivered",
        "sent",
        "queued",
        "sending",
    ]


def test_failed_callback_records_the_error_code(twilio: TwilioClient, hotline: Hotline) -> None:
    _sent_row(hotline, SID)
    _callback(twilio, SID, "failed", ErrorCode="30006")
    row = outbox_rows(hotline)[0]
    assert (row.status, row.error_code) == ("failed", "30006")


def test_a_partly_delivered_message_is_final_and_counted_undelivered(
    twilio: TwilioClient, hotline: Hotline
) -> None:
    """Some parts of a long message did not arrive: the subscriber may hold half a text, so
    it is not counted delivered, and a later report changes nothing."""
    outbox_id = _sent_row(hotline, SID)
    assert _callback(twilio, SID, "partially_delivered", ErrorCode="30008").status_code == 200
    assert _callback(twilio, SID, "delivered").status_code == 200
    row = outbox_rows(hotline)[0]
    assert (row.status, row.error_code) == ("undelivered", "30008")
    assert ("callback", "partially_delivered") in history(hotline, outbox_id)


def test_a_read_receipt_after_delivery_keeps_the_message_delivered(
    twilio: TwilioClient, hotline: Hotline
) -> None:
    _sent_row(hotline, SID)
    assert _callback(twilio, SID, "delivered").status_code == 200
    assert _callback(twilio, SID, "read").status_code == 200
    assert outbox_rows(hotline)[0].status == "delivered"


def test_callback_that_beats_the_sid_commit_is_applied_when_the_sid_is_saved(
    twilio: TwilioClient, hotline: Hotline
) -> None:
    class FixedSid:
        def send(self, sms: OutgoingSms) -> str:
            # The provider's callback arrives before the worker commits the SID.
            assert _callback(twilio, SID, "delivered").status_code == 200
            return SID

    add_pending(hotline, 1)
    OutboxWorker(hotline.sessions, FixedSid(), hotline.settings, hotline.clock).run_once()
    [row] = outbox_rows(hotline)
    assert (row.provider_sid, row.status) == (SID, "delivered")
    with hotline.sessions() as session:
        event = session.scalars(
            sa.select(StatusEvent).where(StatusEvent.source == "callback")
        ).one()
    assert event.outbox_id == row.id


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"MessageSid": SID, "MessageStatus": "exploded"}, 400),
        ({"MessageSid": "SMnot-a-sid", "MessageStatus": "sent"}, 400),
        ({"MessageSid": SID, "MessageStatus": "failed", "ErrorCode": "x1"}, 400),
        ({"MessageStatus": "sent"}, 400),
    ],
)
def test_malformed_status_callbacks_get_400(
    twilio: TwilioClient, params: dict[str, str], status: int
) -> None:
    assert twilio.post("/sms/status", params).status_code == status


def test_unsigned_status_callback_is_refused(twilio: TwilioClient, hotline: Hotline) -> None:
    _sent_row(hotline, SID)
    response = twilio.post("/sms/status", {"MessageSid": SID, "MessageStatus": "failed"}, False)
    assert response.status_code == 403
    assert outbox_rows(hotline)[0].status == "sent"


# -- several workers -----------------------------------------------------------------------


@pytest.mark.postgres
def test_two_workers_at_once_send_every_row_exactly_once(live: Wire, hotline: Hotline) -> None:
    add_pending(hotline, 60)
    # The first send is held until the other worker has finished: that one must have
    # claimed around the first one's claim, and sent everything else.
    held = live.standin.faults.add(MESSAGES, status=None, hold=True, count=1, method="POST")
    # The held request must not time out however long the other worker takes (a timeout
    # would pause sending, as a dropped connection does).
    patient = hotline.settings.with_overrides({"sms_send_timeout_s": int(PATIENCE_S)})
    workers = [
        OutboxWorker(
            hotline.sessions,
            sms_sender(patient, hotline.sessions, hotline.clock),
            hotline.settings,
            hotline.clock,
            batch=5,
            rng=random.Random(n),
        )
        for n in range(2)
    ]
    start = threading.Barrier(2)
    results: list[Any] = []

    def drain(w: OutboxWorker) -> None:
        start.wait()
        results.append(w.run_once())

    threads = [threading.Thread(target=drain, args=(w,)) for w in workers]
    for t in threads:
        t.start()
    assert held.wait_held()
    wait_for(lambda: len(results) == 1, "the worker that was not held to finish")
    held.release()
    for t in threads:
        t.join(60)
    live.settle()
    assert Counter(c["Body"] for c in live.creates()) == Counter(f"msg {i:04d}" for i in range(60))
    assert [r.sent for r in results] == [55, 5]  # the held one's claim of 5 stayed its own
    assert {r.status for r in outbox_rows(hotline)} == {"delivered"}


# -- what is written to the outbox ---------------------------------------------------------


def test_each_message_type_has_its_sender_number(
    app: Flask, hotline: Hotline, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = hotline.settings.with_overrides(
        {"sms_from_numbers": "reminder=1001088,warning.maritime=1001099"}
    )
    assert outbox.sender_for("call_summary", settings) == "10010"
    assert outbox.sender_for("reminder.data_low", settings) == "1001088"
    assert outbox.sender_for("warning.maritime", settings) == "1001099"
    assert outbox.sender_for("warning.data_cap", settings) == "10010"
    with transaction(hotline.sessions) as session:
        message = outbox.enqueue(
            session,
            settings,
            kind="reminder.data_low",
            to=DEMO_ZH,
            body="x",
            language="zh-CN",
            now=hotline.clock.now(),
        )
        assert message.from_number == "1001088"


def test_every_outbound_message_counts_its_segments(caller: Caller, hotline: Hotline) -> None:
    caller.dial("10010", DEMO_ZH).press("111").press("9").press("12").press("9").press("13")
    caller.hang_up()
    with transaction(hotline.sessions) as session:
        session.add(
            OutboxMessage(
                kind="other",
                to_number=DEMO_ZH,
                from_number="10010",
                language="en-US",
                body="a" * 161,
            )
        )
    rows = outbox_rows(hotline)
    summary = rows[0].body
    assert len(summary) > 70 and rows[0].segments == -(-len(summary) // 67)
    assert rows[1].segments == 2


@pytest.mark.parametrize(
    ("body", "count"),
    [
        ("你" * 70, 1),
        ("你" * 71, 2),
        ("你" * 134, 2),
        ("你" * 135, 3),
        ("a" * 160, 1),
        ("a" * 161, 2),
    ],
)
def test_segments_follow_the_70_and_160_character_limits(body: str, count: int) -> None:
    assert segments(body) == count


def test_a_claim_never_takes_more_than_the_lease_can_cover(hotline: Hotline) -> None:
    settings = hotline.settings.with_overrides({"sms_lease_s": 120, "sms_send_timeout_s": 10})
    assert max_batch(settings) == 5
    assert max_batch(settings.with_overrides({"sms_lease_s": 21})) == 1


def test_history_and_outbox_commands_show_the_message(
    live: Wire, hotline: Hotline, monkeypatch: pytest.MonkeyPatch
) -> None:
    [outbox_id] = add_pending(hotline, 1)
    worker(hotline).run_once()
    live.settle()
    runner = CliRunner()
    shown = runner.invoke(main, ["sms", "history", str(outbox_id)], obj=hotline)
    assert shown.exit_code == 0, shown.output
    lines = shown.output.splitlines()
    assert lines[0].startswith(f"#{outbox_id} test to {DEMO_ZH} from 10010: [delivered]")
    steps = [line.split()[2] for line in lines[2:]]
    assert steps[0] == "sending" and sorted(steps[1:]) == ["delivered", "sent", "sent"]
    listed = runner.invoke(main, ["sms", "outbox", "--status", "delivered"], obj=hotline)
    assert (
        f"#{outbox_id} to {DEMO_ZH} from 10010 [delivered] attempts 1 segments 1" in listed.output
    )


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"SMS_LEASE_S": "20", "SMS_SEND_TIMEOUT_S": "10"}, "SMS_LEASE_S"),
        ({"SMS_SEND_TIMEOUT_S": "0"}, "SMS_LEASE_S"),
        ({"SMS_QUIET_HOURS": "late"}, "SMS_QUIET_HOURS"),
        ({"SMS_QUIET_HOURS": "25:00-08:00"}, "SMS_QUIET_HOURS"),
    ],
)
def test_sms_settings_that_cannot_work_are_refused(environ: dict[str, str], message: str) -> None:
    from hotline.settings import load_settings
    from ivr.config import ConfigError

    with pytest.raises(ConfigError, match=message):
        load_settings(environ)
