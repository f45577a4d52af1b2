"""What operators rely on: configuration checks, health, numbers, the worker's retries, the CLI."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from flask.testing import FlaskClient

from hotline.cli import main
from hotline.container import Hotline
from hotline.settings import load_settings
from ivr.config import ConfigError
from ivr.numbers import Entry, InvalidNumber, entry_for, normalize
from sms_followup.models import OutboxMessage
from sms_followup.outbox import expires_at
from sms_followup.senders import OutgoingSms, PermanentSendError, TransientSendError
from sms_followup.settings import SmsSettings
from sms_followup.worker import OutboxWorker
from tests.support.caller import DEMO_ZH, Caller
from tests.support.clocks import TestClock
from tests.support.paths import ROOT


@pytest.mark.parametrize(
    ("raw", "national"),
    [
        ("+86 138-0013-8000", "13800138000"),
        ("008613800138000", "13800138000"),
        ("8613800138000", "13800138000"),
        ("(10010)", "10010"),
        ("+14155550100", "+14155550100"),
    ],
)
def test_numbers_are_normalised_to_national_form(raw: str, national: str) -> None:
    assert normalize(raw) == national


@pytest.mark.parametrize("raw", ["", "abc", "+", "10010#"])
def test_non_numbers_are_refused(raw: str) -> None:
    with pytest.raises(InvalidNumber):
        normalize(raw)


def test_dialed_numbers_pick_their_entry_point() -> None:
    assert entry_for("10010") is Entry.HOTLINE
    assert entry_for("+86 1001013") is Entry.BILL
    assert entry_for("1001014") is None


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"IVR_ENV": "production"}, "TWILIO_AUTH_TOKEN"),
        ({"IVR_ENV": "production", "TWILIO_AUTH_TOKEN": "t", "SECRET_KEY": "s"}, "PostgreSQL"),
        ({"VALIDATE_TWILIO_SIGNATURE": "maybe"}, "true or false"),
        ({"GATHER_TIMEOUT_S": "five"}, "whole number"),
        ({"SMS_SENDER": "pigeon"}, "SMS_SENDER"),
        ({"PUBLIC_BASE_URL": "hotline.example"}, "PUBLIC_BASE_URL"),
    ],
)
def test_configuration_that_cannot_work_is_refused_at_start(
    environ: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        load_settings(environ)


def test_defaults_are_the_one_machine_setup() -> None:
    settings = load_settings({})
    assert settings.database_url.startswith("sqlite")
    assert settings.sms_sender == "local"
    assert settings.validate_signatures


@pytest.mark.postgres
def test_healthz_answers_200_when_the_database_answers(client: FlaskClient) -> None:
    assert client.get("/healthz").json == {"status": "ok", "database": "up"}


def test_healthz_answers_503_when_the_database_is_down(tmp_path: Any) -> None:
    from app import create_app

    down = create_app(
        {"database_url": "postgresql+psycopg://postgres@127.0.0.1:9/none", "prompt_audio": False}
    )
    response = down.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json == {"status": "unavailable", "database": "down"}


class ScriptedSender:
    """Test double of an SMS provider: fails as scripted, then accepts."""

    def __init__(self, *failures: Exception) -> None:
        self.failures = list(failures)
        self.sent: list[OutgoingSms] = []

    def send(self, sms: OutgoingSms) -> str:
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append(sms)
        return f"SM{len(self.sent):032d}"


def _due_summary(caller: Caller, hotline: Hotline) -> None:
    caller.dial("1001011", DEMO_ZH)
    caller.hang_up()


def _message(hotline: Hotline) -> OutboxMessage:
    with hotline.sessions() as session:
        return session.scalars(sa.select(OutboxMessage)).one()


def _make_due(hotline: Hotline) -> None:
    with hotline.sessions.begin() as session:
        session.execute(sa.update(OutboxMessage).values(next_attempt_at=hotline.clock.now()))


@pytest.mark.postgres
def test_transient_failure_is_retried_later_then_sent_once(
    caller: Caller, hotline: Hotline
) -> None:
    _due_summary(caller, hotline)
    sender = ScriptedSender(TransientSendError("HTTP 503", retry_after_s=30))
    worker = OutboxWorker(hotline.sessions, sender, hotline.settings, hotline.clock)
    assert worker.run_once().retried == 1
    message = _message(hotline)
    assert (message.status, message.attempts, message.last_error) == ("pending", 1, "HTTP 503")
    assert worker.run_once().sent == 0  # not due yet: Retry-After is honoured
    _make_due(hotline)
    assert worker.run_once().sent == 1
    assert len(sender.sent) == 1
    assert _message(hotline).status == "sent"


@pytest.mark.postgres
def test_permanent_failure_dead_letters_with_the_reason(caller: Caller, hotline: Hotline) -> None:
    _due_summary(caller, hotline)
    sender = ScriptedSender(PermanentSendError("HTTP 400 21610: unsubscribed recipient"))
    assert (
        OutboxWorker(hotline.sessions, sender, hotline.settings, hotline.clock).run_once().dead == 1
    )
    message = _message(hotline)
    assert message.status == "dead"
    assert "21610" in message.last_error


def test_a_summary_the_provider_never_takes_is_retried_until_its_time_to_live_then_dead(
    caller: Caller, hotline: Hotline, clock: TestClock
) -> None:
    _due_summary(caller, hotline)
    sender = ScriptedSender(*[TransientSendError("timeout")] * 1000)
    worker = OutboxWorker(hotline.sessions, sender, hotline.settings, hotline.clock)
    written = _message(hotline)
    expires = expires_at(written.kind, written.created_at, SmsSettings.of(hotline.settings))
    for _ in range(1000):  # each pass jumps to the next attempt the worker asked for
        message = _message(hotline)
        if message.status != "pending":
            break
        clock.set(max(clock.now(), message.next_attempt_at))
        worker.run_once()
    assert (message.status, sender.sent) == ("dead", [])
    assert (message.last_error or "").startswith(f"expired after {message.attempts} attempt(s)")
    assert message.attempts > 6 and clock.now() >= expires


def test_cli_seeds_demo_data_delivers_and_lists_the_outbox(
    hotline: Hotline, caller: Caller
) -> None:
    runner = CliRunner()
    seeded = runner.invoke(main, ["seed-demo"], obj=hotline)
    assert seeded.exit_code == 0 and DEMO_ZH in seeded.output
    _due_summary(caller, hotline)
    worked = runner.invoke(main, ["worker", "--once"], obj=hotline)
    assert "sent 1," in worked.output
    listed = runner.invoke(main, ["sms", "outbox"], obj=hotline)
    assert f"to {DEMO_ZH} from 10010 [sent] attempts 1" in listed.output
    assert "账户余额123.45元" in listed.output
    shown = runner.invoke(main, ["calls", "show", caller.call_sid], obj=hotline)
    assert "query.recorded" in shown.output and "call.ended" in shown.output


def test_every_command_the_operations_guide_documents_is_on_the_ivr_command_line() -> None:
    guide = (ROOT / "docs/operations.md").read_text(encoding="utf-8")
    documented = {
        line.split("`ivr ")[1].split()[0].rstrip("`,")
        for line in guide.splitlines()
        if line.startswith("| `ivr ")
    }
    assert {"serve", "prompts", "worker", "call", "simulate", "sms"} <= documented
    assert documented <= set(main.commands), sorted(documented - set(main.commands))
