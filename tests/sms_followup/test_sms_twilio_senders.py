"""Logical senders (10010 and the industry ports, as templates, opt-outs and port statistics
speak of them) and the Twilio senders they go out from (TWILIO_SMS_FROM, TWILIO_SMS_FROM_MAP).
"""

from __future__ import annotations

import random
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from hotline.cli import main
from hotline.container import Hotline
from hotline.settings import load_settings
from ivr.config import ConfigError
from ivr.db import transaction
from sms_followup.models import OptOut, OutboxMessage
from sms_followup.settings import SmsSettings
from sms_followup.worker import OutboxWorker
from tests.support.caller import DEMO_ZH, TwilioClient
from tests.support.sms_harness import (
    PORT_021_FROM,
    PORT_877_SERVICE,
    SERVICE_FROM,
    Wire,
    add_pending,
    outbox_rows,
)

TWILIO = {"SMS_SENDER": "twilio"}


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({}, "TWILIO_SMS_FROM is needed"),
        ({"TWILIO_SMS_FROM": "10010"}, "carrier codes such as 10010 are not Twilio senders"),
        ({"TWILIO_SMS_FROM": "8613010010000"}, "TWILIO_SMS_FROM must be a number"),
        ({"TWILIO_SMS_FROM": "MG123"}, "TWILIO_SMS_FROM must be a number"),
        (
            {"TWILIO_SMS_FROM": SERVICE_FROM, "TWILIO_SMS_FROM_MAP": "10655021:+8613010655021"},
            "TWILIO_SMS_FROM_MAP must look like",
        ),
        (
            {"TWILIO_SMS_FROM": SERVICE_FROM, "TWILIO_SMS_FROM_MAP": "10655021=10655021"},
            r"TWILIO_SMS_FROM_MAP \(10655021\) must be a number",
        ),
        (
            {"TWILIO_SMS_FROM": SERVICE_FROM, "TWILIO_SMS_FROM_MAP": "95588=+8613010655021"},
            "95588 is not a sender of this service",
        ),
        (
            {
                "TWILIO_SMS_FROM": SERVICE_FROM,
                "TWILIO_SMS_FROM_MAP": "10655021=+8613010655021,10655021=+8613010655022",
            },
            "10655021 is mapped twice",
        ),
    ],
)
def test_wrong_twilio_senders_are_refused_naming_the_variable(
    environ: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        load_settings(TWILIO | environ)


def test_a_number_or_a_messaging_service_per_logical_sender() -> None:
    settings = load_settings(
        TWILIO
        | {
            "SMS_FROM_NUMBERS": "reminder=1001088",
            "TWILIO_SMS_FROM": SERVICE_FROM,
            "TWILIO_SMS_FROM_MAP": f"1001088={PORT_021_FROM},10655877={PORT_877_SERVICE}",
        }
    )
    senders = settings.twilio_senders()
    assert senders.for_logical("10010") == SERVICE_FROM
    assert senders.for_logical("1001088") == PORT_021_FROM
    assert senders.for_logical("10655877999") == PORT_877_SERVICE
    assert senders.logical_for(PORT_877_SERVICE, "10010") == "10655877"
    assert senders.logical_for(SERVICE_FROM, "10010") == "10010"
    assert senders.logical_for("+8613099999999", "10010") is None


def test_local_delivery_needs_no_twilio_sender() -> None:
    assert load_settings({}).twilio_sms_from == ""


@pytest.mark.parametrize("command", [["worker", "--once"], ["serve", "--prod"]])
def test_the_worker_and_the_server_stop_at_start_naming_the_variable(
    command: list[str], tmp_path: Any
) -> None:
    env = {"SMS_SENDER": "twilio", "DATABASE_URL": f"sqlite:///{tmp_path}/x.db"}
    result = CliRunner().invoke(main, command, env=env)
    assert result.exit_code != 0
    assert "TWILIO_SMS_FROM" in result.output


# -- over the wire -------------------------------------------------------------------------


@pytest.fixture
def settings_overrides(wire: Wire) -> dict[str, Any]:
    return wire.overrides()


def deliver(hotline: Hotline) -> Any:
    return OutboxWorker(
        hotline.sessions,
        hotline.sender,
        SmsSettings.of(hotline.settings),
        hotline.clock,
        rng=random.Random(1),
    ).run_once()


def _port_message(hotline: Hotline, port: str, body: str) -> None:
    with transaction(hotline.sessions) as session:
        session.add(
            OutboxMessage(
                kind="industry",
                to_number=DEMO_ZH,
                from_number=port,
                port=port,
                language="zh-CN",
                body=body,
                status="pending",
            )
        )


def test_each_logical_sender_goes_out_from_its_twilio_sender(live: Wire, hotline: Hotline) -> None:
    add_pending(hotline, 1)
    _port_message(hotline, "106550211234", "port 021")
    _port_message(hotline, "10655877999", "port 877")
    assert deliver(hotline).sent == 3
    live.settle()
    sent = {c["Body"]: c for c in live.creates()}
    assert sent["msg 0000"]["From"] == SERVICE_FROM
    assert sent["port 021"]["From"] == PORT_021_FROM
    assert "From" not in sent["port 877"]
    assert sent["port 877"]["MessagingServiceSid"] == PORT_877_SERVICE
    for form in sent.values():
        assert form["To"] == "+86" + DEMO_ZH
        assert form["StatusCallback"] == live.url + "/sms/status#rc=5&rp=ct,rt,5xx"
    # The outbox and the port statistics keep speaking of the logical senders.
    assert {r.from_number for r in outbox_rows(hotline)} == {
        "10010",
        "106550211234",
        "10655877999",
    }
    assert {r.status for r in outbox_rows(hotline)} == {"delivered"}


def _text_in(twilio: TwilioClient, body: str, to: str, **extra: str) -> None:
    params = {
        "MessageSid": "SM" + format(random.getrandbits(128), "032x"),
        "AccountSid": twilio.settings.twilio_account_sid,
        "From": "+86" + DEMO_ZH,
        "To": to,
        "Body": body,
        "NumMedia": "0",
        **extra,
    }
    assert twilio.post("/sms/incoming", params).status_code == 200


def _opt_outs(hotline: Hotline) -> set[tuple[str, str]]:
    with hotline.sessions() as session:
        return {(o.msisdn, o.sender) for o in session.scalars(sa.select(OptOut))}


@pytest.mark.parametrize("to", ["+8610010", "10010", "008610010", SERVICE_FROM])
def test_td_to_the_service_in_any_form_unsubscribes_from_10010(
    twilio: TwilioClient, hotline: Hotline, to: str
) -> None:
    _text_in(twilio, "TD", to)
    assert _opt_outs(hotline) == {(DEMO_ZH, "10010")}


def test_0000_to_a_ports_twilio_number_or_service_unsubscribes_from_that_port(
    twilio: TwilioClient, hotline: Hotline
) -> None:
    _text_in(twilio, "0000", PORT_021_FROM)
    _text_in(twilio, "0000", "+8613010655877", MessagingServiceSid=PORT_877_SERVICE)
    assert _opt_outs(hotline) == {(DEMO_ZH, "10655021"), (DEMO_ZH, "10655877")}


def test_a_messaging_service_sid_in_upper_case_hex_is_the_same_service(
    twilio: TwilioClient, hotline: Hotline
) -> None:
    _text_in(twilio, "0000", "+8613010655877", MessagingServiceSid=PORT_877_SERVICE.upper())
    assert _opt_outs(hotline) == {(DEMO_ZH, "10655877")}


@pytest.mark.parametrize("sid", ["MG123", "MG" + "g" * 32, "PN" + "8f" * 16])
def test_a_malformed_messaging_service_sid_is_refused(
    twilio: TwilioClient, hotline: Hotline, sid: str
) -> None:
    params = {
        "MessageSid": "SM" + "1" * 32,
        "From": "+86" + DEMO_ZH,
        "To": "+8613010655877",
        "Body": "0000",
        "MessagingServiceSid": sid,
    }
    response = twilio.post("/sms/incoming", params)
    assert response.status_code == 400
    assert "MessagingServiceSid" in response.get_data(as_text=True)
    assert _opt_outs(hotline) == set()


def test_an_opt_out_through_a_ports_twilio_number_refuses_that_ports_messages(
    live: Wire, twilio: TwilioClient, hotline: Hotline
) -> None:
    _text_in(twilio, "0000", PORT_021_FROM)
    _port_message(hotline, "106550211234", "after 0000")
    _port_message(hotline, "10655877999", "other port")
    deliver(hotline)
    statuses = {r.body: r.status for r in outbox_rows(hotline)}
    assert statuses["after 0000"] == "refused"
    assert statuses["other port"] in {"sent", "delivered"}
