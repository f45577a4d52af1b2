"""``<Dial><Client>`` rings only a Voice SDK client registered with the network, as Twilio
does; browsers register through the signalling stand-in, which checks their access tokens
as a real account does and carries the call to them (invite, answer, reject, hangup)."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from twilio.jwt.access_token import AccessToken
from twilio.jwt.access_token.grants import VoiceGrant

from simulator.cli import commands
from simulator.clients import AnsweringClient
from simulator.inputs import Hangup, Wait
from simulator.signalling import SignallingStandin
from tests.support.signalling import API_KEY, API_SECRET, TWIML_APP, SdkSocket, signalling
from tests.support.simulator import ACCOUNT, HANDSET, SERVICE, TOKEN, Harness, response, say

DIAL = response('<Dial action="/voice/dialed" timeout="{timeout}"><Client>agent_7</Client></Dial>')


@pytest.fixture
def sim() -> Iterator[Harness]:
    with Harness() as harness:
        harness.app.route("/voice/incoming", DIAL.format(timeout=20))
        harness.app.route(
            "/voice/dialed",
            lambda p: response(say(f"{p['DialCallStatus']} {p['DialCallDuration']}")),
        )
        yield harness


def dialled(sim: Harness) -> dict[str, str]:
    [request] = sim.app.requests_to("/voice/dialed")
    return request.params


def test_a_client_nobody_registered_does_not_answer(sim: Harness) -> None:
    result = sim.network.call(SERVICE, HANDSET, [Wait(60), Hangup()])

    assert dialled(sim)["DialCallStatus"] == "no-answer"
    assert [e.message for e in result.errors] == [
        "<Dial><Client>agent_7: no Voice SDK client is registered as it"
    ]


def test_a_registered_client_answers_and_talks_until_one_side_hangs_up(sim: Harness) -> None:
    agent = AnsweringClient(talk_seconds=20)
    sim.network.clients.register("agent_7", agent)
    sim.network.call(SERVICE, HANDSET, [Wait(60), Hangup()])
    assert (dialled(sim)["DialCallStatus"], dialled(sim)["DialCallDuration"]) == ("completed", "20")

    sim.network.clients.unregister("agent_7", agent)
    sim.network.call(SERVICE, HANDSET, [Wait(60), Hangup()])
    assert sim.app.requests_to("/voice/dialed")[-1].params["DialCallStatus"] == "no-answer"


# -- the signalling stand-in -----------------------------------------------------------------


@pytest.fixture
def standin(sim: Harness, tmp_path: Path) -> Iterator[SignallingStandin]:
    with signalling(sim.network, tmp_path) as running:
        yield running


def access_token(
    identity: str = "agent_7",
    *,
    secret: str = API_SECRET,
    key: str = API_KEY,
    account: str = ACCOUNT,
    incoming: bool = True,
    starts: dt.datetime | None = None,
    ttl_s: int = 600,
) -> str:
    """A token as the console's (expert_desk.phone.access_token) or a wrong one."""
    start = int((starts or dt.datetime.now(dt.UTC)).timestamp())
    token = AccessToken(
        account, key, secret, identity=identity, nbf=start, valid_until=start + ttl_s
    )
    token.add_grant(VoiceGrant(incoming_allow=incoming, outgoing_application_sid=TWIML_APP))
    return token.to_jwt()


@pytest.fixture
def browser(standin: SignallingStandin) -> Iterator[SdkSocket]:
    socket = SdkSocket(standin.host)
    yield socket
    socket.close()


def registered(browser: SdkSocket, token: str) -> dict[str, Any]:
    """Listen with *token* and register; the ``connected`` answer."""
    browser.send("listen", {"token": token, "browserinfo": {}, "reconnectTimeout": 0})
    connected = browser.receive()
    assert connected["type"] == "connected", connected
    browser.send("register", {"media": {"audio": True}})
    assert browser.receive()["type"] == "ready"
    return connected


@pytest.mark.parametrize(
    ("token", "code"),
    [
        (access_token(secret="not-the-secret-of-the-api-key-0123"), 31202),
        (access_token(key="SK" + "9" * 32), 31204),
        (access_token(account="AC" + "8" * 32), 31204),
        (access_token(starts=dt.datetime.now(dt.UTC) - dt.timedelta(hours=2)), 31205),
        (access_token(ttl_s=2 * 86400), 31204),
        (access_token("li.na"), 31204),
        ("not-a-token", 31204),
    ],
    ids=["signature", "unknown-key", "other-account", "expired", "over-a-day", "dot", "garbage"],
)
def test_a_token_twilio_would_refuse_is_refused(browser: SdkSocket, token: str, code: int) -> None:
    browser.send("listen", {"token": token})
    refused = browser.receive()
    assert (refused["type"], refused["payload"]["error"]["code"]) == ("error", code)
    browser.send("register", {"media": {"audio": True}})
    assert browser.receive()["type"] == "error"


def test_a_token_without_incoming_calls_cannot_register(
    browser: SdkSocket, standin: SignallingStandin
) -> None:
    browser.send("listen", {"token": access_token(incoming=False)})
    assert browser.receive()["type"] == "connected"
    browser.send("register", {"media": {"audio": True}})
    refused = browser.receive()
    assert refused["payload"]["error"]["code"] == 31204
    assert not standin.registered("agent_7")


def test_a_registered_browser_takes_the_call_and_hears_the_caller_hang_up(
    sim: Harness, browser: SdkSocket, standin: SignallingStandin
) -> None:
    connected = registered(browser, access_token(ttl_s=600))
    assert connected["payload"]["token"]["identity"] == "agent_7"
    assert 590 <= connected["payload"]["token"]["ttl"] <= 600
    assert standin.registered("agent_7")

    call = sim.network.start(sim.network.inbound_spec(SERVICE, HANDSET), [Wait(45), Hangup()])
    invite = browser.receive()
    assert invite["type"] == "invite"
    leg = invite["payload"]["callsid"]
    assert invite["payload"]["sdp"].startswith("v=0\r\n")
    assert invite["payload"]["parameters"] == {
        "CallSid": leg,
        "AccountSid": ACCOUNT,
        "From": sim.network.inbound_spec(SERVICE, HANDSET).from_,
        "To": "client:agent_7",
        "ApiVersion": "2010-04-01",
    }
    browser.send("answer", {"callsid": leg, "sdp": "v=0\r\n(the browser's answer)"})
    assert browser.receive() == {"type": "hangup", "version": "1.6", "payload": {"callsid": leg}}

    call.result(timeout=30)
    assert (dialled(sim)["DialCallStatus"], dialled(sim)["DialCallDuration"]) == ("completed", "45")
    assert [m.payload["sdp"] for m in standin.messages("answer")] == [
        "v=0\r\n(the browser's answer)"
    ]


def test_the_agent_hangs_up_in_the_browser(sim: Harness, browser: SdkSocket) -> None:
    registered(browser, access_token())
    call = sim.network.start(sim.network.inbound_spec(SERVICE, HANDSET), [Wait(math.inf)])
    leg = browser.receive()["payload"]["callsid"]
    browser.send("answer", {"callsid": leg, "sdp": "v=0"})
    browser.send("hangup", {"callsid": leg})

    result = call.result(timeout=30)
    assert dialled(sim)["DialCallStatus"] == "completed"
    assert result.transcript[-1].text.startswith("completed ")


def test_a_declined_call_is_busy_and_one_not_answered_is_cancelled(
    sim: Harness, browser: SdkSocket, standin: SignallingStandin
) -> None:
    registered(browser, access_token())
    call = sim.network.start(sim.network.inbound_spec(SERVICE, HANDSET), [Wait(60), Hangup()])
    browser.send("reject", {"callsid": browser.receive()["payload"]["callsid"]})
    call.result(timeout=30)
    assert dialled(sim)["DialCallStatus"] == "busy"

    sim.app.route("/voice/incoming", DIAL.format(timeout=1))  # rings one real second
    call = sim.network.start(sim.network.inbound_spec(SERVICE, HANDSET), [Wait(60), Hangup()])
    leg = browser.receive()["payload"]["callsid"]
    assert browser.receive() == {"type": "cancel", "version": "1.6", "payload": {"callsid": leg}}
    call.result(timeout=30)
    assert sim.app.requests_to("/voice/dialed")[-1].params["DialCallStatus"] == "no-answer"


def test_a_browser_that_unregisters_or_goes_away_no_longer_rings(
    sim: Harness, standin: SignallingStandin
) -> None:
    first = SdkSocket(standin.host)
    registered(first, access_token())
    first.send("register", {"media": {"audio": False}})
    assert first.receive()["type"] == "offline"
    assert not standin.registered("agent_7")

    second = SdkSocket(standin.host)
    registered(second, access_token())
    assert sim.network.clients.identities() == ["agent_7"]
    second.close()
    first.close()
    sim.network.call(SERVICE, HANDSET, [Wait(60), Hangup()])
    assert dialled(sim)["DialCallStatus"] == "no-answer"


# -- ivr call --client -----------------------------------------------------------------------


def _call(sim: Harness, *args: str) -> tuple[int, str]:
    command = next(c for c in commands if c.name == "call")
    connection = ["--base-url", sim.base_url, "--auth-token", TOKEN, "--account-sid", ACCOUNT]
    options = [SERVICE, "--from", HANDSET, "--keys", "-", *connection, *args]
    result = CliRunner().invoke(command, options, catch_exceptions=False)
    return result.exit_code, result.output


def test_ivr_call_answers_as_the_agents_browser_phone_it_is_given(sim: Harness) -> None:
    code, output = _call(sim, "--client", "agent_7")
    assert code == 0, output
    assert dialled(sim)["DialCallStatus"] == "completed"

    code, output = _call(sim)
    assert sim.app.requests_to("/voice/dialed")[-1].params["DialCallStatus"] == "no-answer"
    assert "no Voice SDK client is registered as it" in output


def test_ivr_call_refuses_a_client_identity_twilio_would_not_take(sim: Harness) -> None:
    code, output = _call(sim, "--client", "li.na")
    assert code != 0
    assert "'li.na': a client identity is letters, digits and _" in output
    assert sim.app.received == []
