"""A call's status callback that never arrives: the worker ``ivr worker`` runs reads the call
back from Twilio's REST API (``GET /Calls/{Sid}.json``) once it has been silent for
``STATUS_BACKSTOP_AFTER_S``, ends it as the callback would have, and its SMS summary goes,
20 minutes before the sweeper would have guessed. Time is the test's clock, moved."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from hotline.container import Hotline
from hotline.worker import build_worker
from ivr.models import Call
from simulator.inputs import Hangup
from tests.support.caller import DEMO_ZH
from tests.support.clocks import TestClock
from tests.support.sms_harness import Wire

HANDSET = "+86" + DEMO_ZH
AFTER = dt.timedelta(minutes=10)  # STATUS_BACKSTOP_AFTER_S's default


@pytest.fixture
def settings_overrides(wire: Wire) -> dict[str, Any]:
    return wire.overrides(prompt_audio=False)


@pytest.fixture
def live(app: Flask, wire: Wire) -> Iterator[Wire]:
    wire.serve(app)
    yield wire
    wire.settle()


def call_row(hotline: Hotline, sid: str) -> Call:
    with hotline.sessions() as session:
        call = session.scalar(Call.by_sid(sid))
        assert call is not None
        return call


def call_fetches(wire: Wire, sid: str) -> int:
    return sum(1 for r in wire.standin.requests if r.method == "GET" and sid in r.path)


@pytest.mark.postgres
def test_a_call_whose_hangup_was_never_reported_gets_its_summary_from_the_backstop(
    live: Wire, hotline: Hotline, clock: TestClock
) -> None:
    live.lose("/voice/status")
    result = live.network.call("1001011", HANDSET, [Hangup()])
    assert result.status == "completed"  # over at Twilio; the service never heard so
    assert call_row(hotline, result.call_sid).ended_at is None
    worker = build_worker(hotline)
    assert "calls.status_backstop" in worker.jobs
    assert worker.run_once().sent == 0  # the summary waits for the call's end

    clock.advance((AFTER - dt.timedelta(seconds=30)).total_seconds())
    assert worker.run_once().sent == 0
    assert call_fetches(live, result.call_sid) == 0  # not before STATUS_BACKSTOP_AFTER_S

    clock.advance(90)
    done = worker.run_once()
    assert (done.sent, done.swept_calls) == (1, 0)  # the backstop, not the sweeper
    assert call_fetches(live, result.call_sid) == 1
    call = call_row(hotline, result.call_sid)
    assert (call.status, call.ended_at is not None) == ("completed", True)
    live.settle()
    [summary] = live.inbox(HANDSET)
    assert "123.45" in summary
