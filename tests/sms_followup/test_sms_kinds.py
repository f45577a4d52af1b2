"""Every kind of SMS the service writes, sent through the real Twilio client to the strict
stand-in: each carries the signature of its language (【中国联通】 / "China Unicom:") and goes
out from its logical sender (10010, an industry port) mapped to the Twilio sender the account
owns (a number, or a Messaging Service that picks one of its pool)."""

from __future__ import annotations

import datetime as dt
import random
import tomllib
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from accounts import passwords
from accounts.settings import AccountSettings
from complaints import tickets
from expert_desk import agents
from expert_desk.models import DeskCall
from hotline.container import Hotline
from ivr.clock import SERVICE_TZ
from ivr.db import transaction
from ivr.models import Subscriber, UsageCounter
from sms_followup import outbox, reminders, trail_sms, vas
from sms_followup.models import OutboxMessage, RoamingDay, StatusEvent
from sms_followup.settings import SmsSettings
from sms_followup.templates import TEMPLATE_DIR
from sms_followup.worker import OutboxWorker
from tests.support.caller import DEMO_EN, DEMO_ZH, Caller
from tests.support.clocks import TestClock
from tests.support.desk import add_agent, desk_of, waiting_caller
from tests.support.sms_harness import (
    PORT_021_FROM,
    PORT_877_POOL,
    PORT_877_SERVICE,
    SERVICE_FROM,
    Wire,
    outbox_rows,
)

SIGNATURE = {"zh-CN": "【中国联通】", "en-US": "China Unicom: "}
PORT_021, PORT_877 = "106550211234", "10655877999"
# What each kind the service writes must include (a test may add more, e.g. weekly summaries).
KINDS = {
    "call_summary",
    "password_temporary",
    "password_changed",
    "password_locked",
    "ticket_filed",
    "service.desk_steps",
    "vas.confirm_request",
    "vas.ordered",
    "vas.deduction",
    "reply.service_unsubscribed",
    "reply.service_resubscribed",
    "reply.port_unsubscribed",
    "reply.port_resubscribed",
    "reply.spam_blocked",
    "industry",
    trail_sms.KIND,
}
REMINDER_KINDS = {"reminder.voice_low", "warning.data_cap", "warning.maritime"}


@pytest.fixture
def settings_overrides(wire: Wire) -> dict[str, Any]:
    return wire.overrides(sms_quiet_hours="")  # every message is due at once


def deliver(hotline: Hotline, written: dict[int, str]) -> None:
    """Send every due message, keeping each one's body as written in *written* first (a
    temporary password's is removed once delivered)."""
    written.update({r.id: r.body for r in outbox_rows(hotline) if r.id not in written})
    worker = OutboxWorker(
        hotline.sessions,
        hotline.sender,
        SmsSettings.of(hotline.settings),
        hotline.clock,
        rng=random.Random(1),
    )
    while worker.run_once().sent:
        pass


def _subscriber(session: Any, msisdn: str) -> Subscriber:
    return session.scalars(Subscriber.by_msisdn(msisdn)).one()


def _reminders(hotline: Hotline, clock: TestClock, msisdn: str) -> None:
    """The data quota used up, minutes running low and a maritime network: the reminders
    job every 10 minutes until none waits (it sends one SMS at a time)."""
    local = clock.now().replace(tzinfo=dt.UTC).astimezone(SERVICE_TZ)
    month = local.strftime("%Y-%m")
    with transaction(hotline.sessions) as session:
        subscriber = _subscriber(session, msisdn)
        for kind, quota, used in (("data", 1024 * 1024, 1024 * 1024), ("voice", 100, 96)):
            counter = session.scalar(
                sa.select(UsageCounter).filter_by(
                    subscriber_id=subscriber.id, kind=kind, period=month
                )
            ) or UsageCounter(subscriber_id=subscriber.id, kind=kind, period=month)
            counter.quota, counter.used = quota, used
            session.add(counter)
        session.add(
            RoamingDay(
                subscriber_id=subscriber.id,
                day=local.date(),
                data_kb=100,
                country="JP",
                network="AeroMobile",
                maritime=True,
            )
        )
    settings = SmsSettings.of(hotline.settings)
    while reminders.run(hotline.sessions, settings, clock.now()).waiting:
        clock.advance(600)


def _service_messages(hotline: Hotline, clock: TestClock, msisdn: str, language: str) -> None:
    """One of each kind written by code (not by a webhook), for the subscriber *msisdn*."""
    _reminders(hotline, clock, msisdn)  # first: they take the job a few runs
    now = hotline.clock.now()
    settings = AccountSettings.of(hotline.settings)
    with transaction(hotline.sessions) as session:
        subscriber = _subscriber(session, msisdn)
        passwords.issue_temporary(
            session,
            subscriber,
            from_number=msisdn,
            language=language,
            call_id=None,
            settings=settings,
            now=now,
        )
        passwords.change(
            session,
            subscriber,
            "739146",
            from_number=msisdn,
            call_id=None,
            settings=settings,
            now=now,
        )
        for _ in range(3):
            try:
                passwords.check(
                    session,
                    subscriber,
                    "000000",
                    from_number=msisdn,
                    call_id=None,
                    settings=settings,
                    now=now,
                )
            except passwords.PasswordLocked:
                break
            except passwords.WrongPassword:
                continue
        tickets.file_complaint(
            session,
            subscriber,
            "network",
            call=None,
            language=language,
            settings=SmsSettings.of(settings),
            now=now,
        )
        for port in (PORT_021, PORT_877):
            outbox.enqueue(
                session,
                SmsSettings.of(settings),
                kind="industry",
                to=msisdn,
                body=f"【某银行】您的账单已出 {port}",
                language=language,
                now=now,
                port=port,
            )


def _desk_wrapup(app: Flask, msisdn: str, language: str) -> None:
    desk = desk_of(app)
    now = app.extensions["hotline"].clock.now()
    expert = add_agent(desk, f"kinds.{msisdn}", {"ios": 1}, at=now)
    desk_call_id = waiting_caller(desk, "ios", at=now, number="+86" + msisdn)
    with transaction(desk.sessions) as session:
        desk_call = session.get_one(DeskCall, desk_call_id)
        desk_call.agent_id, desk_call.status, desk_call.language = expert, "completed", language
    with transaction(desk.sessions) as session:
        agents.save_wrapup(
            session,
            desk.settings,
            expert,
            desk_call_id,
            notes="Wi-Fi assist off",
            disposition="solved",
            sms_body="设置 > 无线局域网 > 关闭无线局域网助理",
            now=now,
        )


@pytest.mark.parametrize(("msisdn", "language"), [(DEMO_ZH, "zh-CN"), (DEMO_EN, "en-US")])
def test_every_kind_carries_the_signature_and_goes_out_from_its_sender(
    app: Flask,
    live: Wire,
    hotline: Hotline,
    clock: TestClock,
    caller: Caller,
    msisdn: str,
    language: str,
) -> None:
    handset = "+86" + msisdn
    caller.dial("1001011", msisdn)  # the balance: a call summary once the call ends
    caller.hang_up()
    _service_messages(hotline, clock, msisdn, language)
    _desk_wrapup(app, msisdn, language)
    written: dict[int, str] = {}
    deliver(hotline, written)  # the industry messages go before the handset unsubscribes below
    # The handset texts the account's numbers, as it would reach Twilio.
    texts = [
        (SERVICE_FROM, "KT CL"),
        (SERVICE_FROM, "Y"),
        (SERVICE_FROM, "帮助"),
        (SERVICE_FROM, "TRAIL"),
        (PORT_021_FROM, "0000"),
        (PORT_021_FROM, "START"),
        (PORT_021_FROM, "举报"),  # answered from the service's number, not the port's
        (SERVICE_FROM, "TD"),
        (SERVICE_FROM, "恢复"),
    ]
    answered = [live.network.send_sms(handset, to, body) for to, body in texts]
    vas.charge(hotline.sessions, SmsSettings.of(hotline.settings), hotline.clock.now())
    deliver(hotline, written)
    live.settle()

    rows = [r for r in outbox_rows(hotline) if r.to_number == msisdn]
    kinds = {r.kind for r in rows}
    assert not (KINDS | REMINDER_KINDS) - kinds, (KINDS | REMINDER_KINDS) - kinds
    assert all(a.errors == [] for a in answered)
    creates = {c["Body"]: c for c in live.creates()}
    for row in rows:
        assert row.status == "delivered", (row.kind, row.status, row.last_error)
        assert row.language == language, row.kind
        body = written[row.id]
        if row.kind == "industry":  # the port's business signs it, not the operator
            assert body.startswith("【某银行】")
        else:
            assert body.startswith(SIGNATURE[language]), (row.kind, body)
        form = creates[body]
        assert form["To"] == handset
        assert form["StatusCallback"] == live.url + "/sms/status#rc=5&rp=ct,rt,5xx"
        if row.port == PORT_877:
            assert row.from_number == PORT_877
            assert (form.get("From"), form["MessagingServiceSid"]) == (None, PORT_877_SERVICE)
            [sent] = [m for m in live.network.messages.all() if m.body == body]
            assert sent.from_ == PORT_877_POOL
        elif row.port == PORT_021:
            assert (row.from_number, form["From"]) == (PORT_021, PORT_021_FROM)
        else:
            assert (row.from_number, form["From"]) == ("10010", SERVICE_FROM), row.kind
    # The replies answered in the TwiML are signed too, and come from the service's number.
    replies = [m for a in answered for m in a.replies]
    assert replies, "the help text is answered at once"
    for reply in replies:
        assert reply.body.startswith(SIGNATURE[language]), reply.body
        assert reply.from_ == SERVICE_FROM


def test_every_message_has_its_history_from_the_first_row(
    live: Wire, hotline: Hotline, clock: TestClock, caller: Caller
) -> None:
    caller.dial("1001011", DEMO_ZH)
    caller.hang_up()
    _service_messages(hotline, clock, DEMO_ZH, "zh-CN")
    with hotline.sessions() as session:
        rows = session.scalars(sa.select(OutboxMessage)).all()
        unrecorded = [
            r.kind
            for r in rows
            if session.scalar(
                sa.select(sa.func.count())
                .select_from(StatusEvent)
                .where(StatusEvent.outbox_id == r.id)
            )
            == 0
        ]
    assert unrecorded == [], unrecorded


def _message_templates() -> list[Any]:
    """Every template that is a whole SMS body (not a part of one, not a word put in one)."""
    parts = (
        "summary.",
        "ticket.category.",
        "roaming.",
        "trail.top",
        "trail.place",
        "trail.other",
        "trail.pending",
    )
    found = []
    for path in sorted(TEMPLATE_DIR.glob("*.toml")):
        language = path.stem.rsplit(".", 1)[-1]
        for key, value in tomllib.loads(path.read_text(encoding="utf-8")).items():
            if isinstance(value, str) and not key.startswith(parts):
                found.append(pytest.param(language, key, value, id=f"{language}-{key}"))
    return found


@pytest.mark.parametrize(("language", "key", "template"), _message_templates())
def test_every_message_template_begins_with_the_signature(
    language: str, key: str, template: str
) -> None:
    assert template.startswith(SIGNATURE[language]), f"{language} {key}: {template}"
