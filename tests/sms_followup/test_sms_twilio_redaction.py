"""A temporary password's text does not stay at rest: once its message is delivered, it is
removed at Twilio (POST /Messages/{Sid} with an empty Body) and in the outbox."""

from __future__ import annotations

import random
from typing import Any

import pytest
from twilio.base.exceptions import TwilioRestException

from hotline.container import Hotline
from hotline.twilio_rest import build_client
from ivr.db import transaction
from sms_followup import outbox
from sms_followup.settings import SmsSettings
from sms_followup.worker import OutboxWorker
from tests.support.caller import DEMO_ZH
from tests.support.clocks import TestClock
from tests.support.sms_harness import ACCOUNT, SERVICE_FROM, TOKEN, Wire, history, outbox_rows


@pytest.fixture
def settings_overrides(wire: Wire) -> dict[str, Any]:
    return wire.overrides()


def worker(hotline: Hotline) -> OutboxWorker:
    settings = SmsSettings.of(hotline.settings)
    return OutboxWorker(
        hotline.sessions, hotline.sender, settings, hotline.clock, rng=random.Random(3)
    )


def _enqueue(hotline: Hotline, clock: TestClock, kind: str, body: str) -> int:
    with transaction(hotline.sessions) as session:
        message = outbox.enqueue(
            session,
            SmsSettings.of(hotline.settings),
            kind=kind,
            to=DEMO_ZH,
            body=body,
            language="zh-CN",
            now=clock.now(),
        )
        return message.id


def test_a_delivered_temporary_password_is_redacted_at_twilio_and_in_the_outbox(
    live: Wire, hotline: Hotline, clock: TestClock
) -> None:
    password_id = _enqueue(hotline, clock, "password_temporary", "临时密码 482913")
    other_id = _enqueue(hotline, clock, "call_summary", "summary stays")
    assert worker(hotline).run_once().sent == 2
    live.settle()
    worker(hotline).run_once()
    rows = {r.id: r for r in outbox_rows(hotline)}
    assert (rows[password_id].status, rows[password_id].body) == ("delivered", "")
    assert rows[other_id].body == "summary stays"
    sid = rows[password_id].provider_sid
    assert sid is not None
    message = live.network.messages.get(sid)
    assert message is not None and message.body == ""
    redactions = [
        r for r in live.standin.requests if r.method == "POST" and r.path.endswith(f"/{sid}.json")
    ]
    assert [(r.form, r.status) for r in redactions] == [({"Body": ""}, 200)]
    assert history(hotline, password_id)[-1] == ("worker", "redacted")
    worker(hotline).run_once()  # once only
    assert len([r for r in live.standin.requests if r.path.endswith(f"/{sid}.json")]) == 1


def test_the_stand_in_refuses_to_redact_a_message_not_yet_final(live: Wire) -> None:
    queued = live.network.messages.create(  # stored only: no delivery scheduled
        account_sid=ACCOUNT,
        from_=SERVICE_FROM,
        to="+86" + DEMO_ZH,
        body="x",
        direction="outbound-api",
    )
    client = build_client(ACCOUNT, TOKEN, live.standin.url)
    with pytest.raises(TwilioRestException) as refused:
        client.messages(queued.sid).update(body="")
    assert (refused.value.status, refused.value.code) == (400, 20009)
    with pytest.raises(TwilioRestException) as not_empty:
        client.messages(queued.sid).update(body="other text")
    assert not_empty.value.status == 400
    assert live.network.messages.get(queued.sid) is not None
