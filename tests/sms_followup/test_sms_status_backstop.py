"""A status callback that never arrives: the worker reads the message's status back from
Twilio's REST API (``GET /Messages/{Sid}.json``) once it has waited
``STATUS_BACKSTOP_AFTER_S``, and applies it as the callback would have been. Time is the
test's clock, moved, never slept."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import pytest

from hotline.container import Hotline
from ivr.db import transaction
from sms_followup import status
from sms_followup.models import OutboxMessage, OutboxStatus
from sms_followup.senders import ProviderStatus
from sms_followup.settings import SmsSettings
from sms_followup.worker import OutboxWorker
from tests.support.caller import DEMO_ZH
from tests.support.clocks import TEST_START, TestClock
from tests.support.sms_harness import Wire, add_pending, history, outbox_rows

AFTER = dt.timedelta(minutes=10)  # STATUS_BACKSTOP_AFTER_S's default
HANDSET = "+86" + DEMO_ZH


@pytest.fixture
def settings_overrides(wire: Wire) -> dict[str, Any]:
    return wire.overrides()


def worker(hotline: Hotline) -> OutboxWorker:
    return OutboxWorker(
        hotline.sessions,
        hotline.sender,
        SmsSettings.of(hotline.settings),
        hotline.clock,
        rng=random.Random(3),
    )


def fetches(wire: Wire) -> int:
    return sum(1 for r in wire.standin.requests if r.method == "GET" and "/Messages/SM" in r.path)


@pytest.mark.postgres
def test_an_sms_whose_callbacks_were_all_lost_is_marked_delivered_by_the_backstop(
    live: Wire, hotline: Hotline, clock: TestClock
) -> None:
    live.lose("/sms/status")  # every callback, and every retry the overrides ask for
    [outbox_id] = add_pending(hotline, 1)
    running = worker(hotline)
    assert running.run_once().sent == 1
    live.settle()
    assert live.inbox(HANDSET) == ["msg 0000"]
    assert [r.status for r in outbox_rows(hotline)] == ["sent"]  # nothing came back

    clock.advance((AFTER - dt.timedelta(seconds=5)).total_seconds())
    running.run_once()
    assert fetches(live) == 0  # not before STATUS_BACKSTOP_AFTER_S
    clock.advance(65)
    running.run_once()

    [row] = outbox_rows(hotline)
    assert row.status == "delivered"
    assert fetches(live) == 1
    assert ("fetched", "delivered") in history(hotline, outbox_id)


def test_a_failed_message_read_back_keeps_twilios_error_code(
    live: Wire, hotline: Hotline, clock: TestClock
) -> None:
    live.network.messages.fail_deliveries_to(HANDSET, 30006)
    live.lose("/sms/status")
    add_pending(hotline, 1)
    running = worker(hotline)
    running.run_once()
    live.settle()
    clock.advance(AFTER.total_seconds() + 60)
    running.run_once()
    [row] = outbox_rows(hotline)
    assert (row.status, row.error_code) == ("undelivered", "30006")


@pytest.mark.clock(TEST_START, running=False)
def test_a_message_twilio_keeps_sent_is_asked_about_ever_less_often(
    hotline: Hotline, clock: TestClock
) -> None:
    """A carrier that never reports delivery: Twilio keeps the message ``sent`` too. It is
    asked about once it has gone unchanged for half its age: after 10, 20, 40, 80 minutes,
    not every minute."""
    with transaction(hotline.sessions) as session:
        session.add(
            OutboxMessage(
                kind="test",
                to_number=DEMO_ZH,
                from_number="10010",
                language="zh-CN",
                body="no report ever",
                status=OutboxStatus.SENT,
                provider_sid="SM" + "7" * 32,
                sent_at=clock.now(),
            )
        )
    start, asked_at = clock.now(), []

    def twilio_says_sent(sid: str) -> ProviderStatus:
        asked_at.append(round((clock.now() - start) / dt.timedelta(minutes=1)))
        return ProviderStatus("sent", None)

    for _ in range(100):  # the job runs every minute
        clock.set(clock.now() + dt.timedelta(minutes=1))
        status.backstop(hotline.sessions, clock.now(), twilio_says_sent, AFTER)
    assert asked_at == [10, 20, 40, 80]
    assert [r.status for r in outbox_rows(hotline)] == ["sent"]
