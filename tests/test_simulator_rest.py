"""The REST stand-in through the real twilio client: messages, errors and injected faults."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
import requests
from twilio.base.exceptions import TwilioRestException

from hotline.twilio_rest import build_client
from tests.sim_fixtures import ACCOUNT, HANDSET, SERVICE, TOKEN, Harness, response


@pytest.fixture
def sim() -> Iterator[Harness]:
    with Harness() as harness:
        yield harness


def test_build_client_sends_every_resource_to_the_given_base_url(sim: Harness) -> None:
    client = build_client(ACCOUNT, TOKEN, api_base_url=sim.standin.url + "/")

    client.messages.list()
    client.calls.list()
    client.queues.list()

    assert [(r.path, r.status) for r in sim.standin.requests] == [
        (f"/2010-04-01/Accounts/{ACCOUNT}/{resource}.json", 200)
        for resource in ("Messages", "Calls", "Queues")
    ]
    assert client.edge is None and client.region is None


def test_message_create_then_signed_sent_and_delivered_callbacks(sim: Harness) -> None:
    client = sim.client()

    message = client.messages.create(
        to=HANDSET,
        from_=SERVICE,
        body="您的话费余额为 12.50 元",
        status_callback=sim.base_url + "/sms/status",
    )
    assert sim.network.wait_idle(10)

    assert message.sid.startswith("SM") and message.status == "queued"
    callbacks = sim.app.requests_to("/sms/status")
    assert [c.params["MessageStatus"] for c in callbacks] == ["sent", "delivered"]
    assert all(c.signed for c in callbacks)
    assert callbacks[0].params["MessageSid"] == message.sid
    assert {callbacks[0].params[k] for k in ("AccountSid", "From", "To")} == {
        ACCOUNT,
        SERVICE,
        HANDSET,
    }
    assert client.messages(message.sid).fetch().status == "delivered"
    assert [m.sid for m in client.messages.list(to=HANDSET)] == [message.sid]
    assert [m.body for m in sim.network.messages.inbox(HANDSET)] == ["您的话费余额为 12.50 元"]


def test_undeliverable_handset_gets_undelivered_with_an_error_code(sim: Harness) -> None:
    sim.network.messages.fail_deliveries_to(HANDSET, 30003)

    sim.client().messages.create(
        to=HANDSET, from_=SERVICE, body="hi", status_callback=sim.base_url + "/sms/status"
    )
    assert sim.network.wait_idle(10)

    final = sim.app.requests_to("/sms/status")[-1].params
    assert (final["MessageStatus"], final["ErrorCode"]) == ("undelivered", "30003")


def test_inbound_sms_reply_and_opt_out(sim: Harness) -> None:
    sim.app.route("/sms/incoming", response("<Message>已收到</Message>"))

    exchange = sim.network.send_sms(HANDSET, SERVICE, "余额")
    stop = sim.network.send_sms(HANDSET, SERVICE, "STOP")
    assert sim.network.wait_idle(10)

    inbound = sim.app.requests_to("/sms/incoming")[0].params
    assert (inbound["Body"], inbound["From"], inbound["To"]) == ("余额", HANDSET, SERVICE)
    assert inbound["MessageSid"].startswith("SM") and inbound["NumMedia"] == "0"
    assert [m.body for m in exchange.replies] == ["已收到"]
    assert [e.code for e in stop.errors] == ["21610"]  # the reply to STOP is blocked
    with pytest.raises(TwilioRestException) as raised:
        sim.client().messages.create(to=HANDSET, from_=SERVICE, body="promo")
    assert (raised.value.status, raised.value.code) == (400, 21610)


def test_errors_come_back_in_twilio_shape(sim: Harness) -> None:
    with pytest.raises(TwilioRestException) as missing:
        sim.client().calls("CA" + "0" * 32).fetch()
    with pytest.raises(TwilioRestException) as unauthorised:
        build_client(ACCOUNT, "wrong", api_base_url=sim.standin.url).messages("SM1").fetch()
    with pytest.raises(TwilioRestException) as no_body:
        sim.client().messages.create(to=HANDSET, from_=SERVICE, body="")

    assert (missing.value.status, missing.value.code) == (404, 20404)
    assert (unauthorised.value.status, unauthorised.value.code) == (401, 20003)
    assert (no_body.value.status, no_body.value.code) == (400, 21602)


def test_injected_500s_then_success(sim: Harness) -> None:
    sim.standin.faults.add(r"/Messages\.json$", status=500, count=2)
    client = sim.client()

    for _ in range(2):
        with pytest.raises(TwilioRestException) as raised:
            client.messages.create(to=HANDSET, from_=SERVICE, body="retry me")
        assert (raised.value.status, raised.value.code) == (500, 20500)
    message = client.messages.create(to=HANDSET, from_=SERVICE, body="retry me")

    assert message.status == "queued"
    assert [r.status for r in sim.standin.requests if r.method == "POST"] == [500, 500, 201]


def test_injected_rate_limit_carries_retry_after(sim: Harness) -> None:
    sim.standin.faults.add(r"/Messages\.json$", status=429, retry_after=2, count=2, method="POST")

    with pytest.raises(TwilioRestException) as raised:
        sim.client().messages.create(to=HANDSET, from_=SERVICE, body="hi")
    raw = requests.post(
        f"{sim.standin.url}/2010-04-01/Accounts/{ACCOUNT}/Messages.json",
        data={"To": HANDSET, "From": SERVICE, "Body": "hi"},
        auth=(ACCOUNT, TOKEN),
        timeout=5,
    )

    assert (raised.value.status, raised.value.code) == (429, 20429)
    assert raw.status_code == 429
    assert raw.headers["Retry-After"] == "2"


def test_a_client_times_out_while_the_stand_in_holds_its_request(sim: Harness) -> None:
    held = sim.standin.faults.add(r"/Messages\.json$", status=None, hold=True)

    # Held until released: no answer can come, however long the client's timeout runs.
    with pytest.raises(requests.exceptions.Timeout):
        sim.client(timeout=0.05).messages.create(to=HANDSET, from_=SERVICE, body="slow")
    assert held.wait_held(5)
    held.release()

    assert held.wait_answered(5)  # served after all, as a provider would


def test_a_held_request_is_answered_once_released(sim: Harness) -> None:
    held = sim.standin.faults.add(r"/Messages\.json$", status=None, hold=True)
    released_when_held = threading.Thread(target=lambda: (held.wait_held(5), held.release()))
    released_when_held.start()

    message = sim.client(timeout=30).messages.create(to=HANDSET, from_=SERVICE, body="ok")
    released_when_held.join()

    assert message.status == "queued"
    assert [(r.status, r.fault) for r in sim.standin.requests] == [(201, True)]


def test_faults_can_be_scripted_over_http_from_another_process(sim: Harness) -> None:
    added = requests.post(
        sim.standin.url + "/_standin/faults",
        json={"path": "/Calls", "status": 503, "count": 1},
        timeout=5,
    )
    assert added.status_code == 201

    with pytest.raises(TwilioRestException) as raised:
        sim.client().calls.create(to=HANDSET, from_=SERVICE, twiml="<Response/>")
    recorded = requests.get(sim.standin.url + "/_standin/requests", timeout=5).json()

    assert (raised.value.status, raised.value.code) == (503, 20503)
    assert recorded["requests"][-1]["fault"] is True
    assert requests.get(sim.standin.url + "/_standin/faults", timeout=5).json() == {"faults": []}
