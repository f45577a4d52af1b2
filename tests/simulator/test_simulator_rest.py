"""The REST stand-in through the real twilio client: messages, errors and injected faults."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
import requests
from twilio.base.exceptions import TwilioRestException

from hotline.twilio_rest import build_client
from simulator.errors import RestError
from simulator.rest_standin import RestStandin
from tests.support.simulator import (
    ACCOUNT,
    HANDSET,
    SERVICE,
    SERVICE_NUMBER,
    SERVICE_POOL,
    SERVICE_SID,
    SMS_FROM,
    TOKEN,
    Harness,
    response,
)


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
        from_=SMS_FROM,
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
        SMS_FROM,
        HANDSET,
    }
    assert client.messages(message.sid).fetch().status == "delivered"
    assert [m.sid for m in client.messages.list(to=HANDSET)] == [message.sid]
    assert [m.body for m in sim.network.messages.inbox(HANDSET)] == ["您的话费余额为 12.50 元"]


def test_undeliverable_handset_gets_undelivered_with_an_error_code(sim: Harness) -> None:
    sim.network.messages.fail_deliveries_to(HANDSET, 30003)

    sim.client().messages.create(
        to=HANDSET, from_=SMS_FROM, body="hi", status_callback=sim.base_url + "/sms/status"
    )
    assert sim.network.wait_idle(10)

    final = sim.app.requests_to("/sms/status")[-1].params
    assert (final["MessageStatus"], final["ErrorCode"]) == ("undelivered", "30003")


def test_inbound_sms_reply_and_opt_out(sim: Harness) -> None:
    sim.app.route("/sms/incoming", response("<Message>已收到</Message>"))

    exchange = sim.network.send_sms(HANDSET, SMS_FROM, "余额")
    stop = sim.network.send_sms(HANDSET, SMS_FROM, "STOP")
    assert sim.network.wait_idle(10)

    inbound = sim.app.requests_to("/sms/incoming")[0].params
    assert (inbound["Body"], inbound["From"], inbound["To"]) == ("余额", HANDSET, SMS_FROM)
    assert inbound["MessageSid"].startswith("SM") and inbound["NumMedia"] == "0"
    assert [m.body for m in exchange.replies] == ["已收到"]
    assert [e.code for e in stop.errors] == ["21610"]  # the reply to STOP is blocked
    with pytest.raises(TwilioRestException) as raised:
        sim.client().messages.create(to=HANDSET, from_=SMS_FROM, body="promo")
    assert (raised.value.status, raised.value.code) == (400, 21610)


def test_errors_come_back_in_twilio_shape(sim: Harness) -> None:
    with pytest.raises(TwilioRestException) as missing:
        sim.client().calls("CA" + "0" * 32).fetch()
    with pytest.raises(TwilioRestException) as unauthorised:
        build_client(ACCOUNT, "wrong", api_base_url=sim.standin.url).messages("SM1").fetch()
    with pytest.raises(TwilioRestException) as no_body:
        sim.client().messages.create(to=HANDSET, from_=SMS_FROM, body="")

    assert (missing.value.status, missing.value.code) == (404, 20404)
    assert (unauthorised.value.status, unauthorised.value.code) == (401, 20003)
    assert (no_body.value.status, no_body.value.code) == (400, 21602)


def test_injected_500s_then_success(sim: Harness) -> None:
    sim.standin.faults.add(r"/Messages\.json$", status=500, count=2)
    client = sim.client()

    for _ in range(2):
        with pytest.raises(TwilioRestException) as raised:
            client.messages.create(to=HANDSET, from_=SMS_FROM, body="retry me")
        assert (raised.value.status, raised.value.code) == (500, 20500)
    message = client.messages.create(to=HANDSET, from_=SMS_FROM, body="retry me")

    assert message.status == "queued"
    assert [r.status for r in sim.standin.requests if r.method == "POST"] == [500, 500, 201]


def test_injected_rate_limit_carries_retry_after(sim: Harness) -> None:
    sim.standin.faults.add(r"/Messages\.json$", status=429, retry_after=2, count=2, method="POST")

    with pytest.raises(TwilioRestException) as raised:
        sim.client().messages.create(to=HANDSET, from_=SMS_FROM, body="hi")
    raw = requests.post(
        f"{sim.standin.url}/2010-04-01/Accounts/{ACCOUNT}/Messages.json",
        data={"To": HANDSET, "From": SMS_FROM, "Body": "hi"},
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
        sim.client(timeout=0.05).messages.create(to=HANDSET, from_=SMS_FROM, body="slow")
    assert held.wait_held(5)
    held.release()

    assert held.wait_answered(5)  # served after all, as a provider would


def test_a_held_request_is_answered_once_released(sim: Harness) -> None:
    held = sim.standin.faults.add(r"/Messages\.json$", status=None, hold=True)

    def release_when_held() -> None:
        held.wait_held(5)
        held.release()

    released_when_held = threading.Thread(target=release_when_held)
    released_when_held.start()

    message = sim.client(timeout=30).messages.create(to=HANDSET, from_=SMS_FROM, body="ok")
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
        sim.client().calls.create(to=HANDSET, from_=SERVICE_NUMBER, twiml="<Response/>")
    recorded = requests.get(sim.standin.url + "/_standin/requests", timeout=5).json()

    assert (raised.value.status, raised.value.code) == (503, 20503)
    assert recorded["requests"][-1]["fault"] is True
    assert requests.get(sim.standin.url + "/_standin/faults", timeout=5).json() == {"faults": []}


def _refused(sim: Harness, **create: str) -> tuple[int, int]:
    with pytest.raises(TwilioRestException) as raised:
        sim.client().messages.create(**({"to": HANDSET, "body": "hi"} | create))
    return raised.value.status, raised.value.code


def test_only_the_accounts_numbers_and_services_may_send(sim: Harness) -> None:
    assert _refused(sim, from_=SERVICE) == (400, 21606)  # a carrier code: not a Twilio number
    assert _refused(sim, from_="10655021") == (400, 21606)  # nor an industry port
    assert _refused(sim, from_="+8613099999999") == (400, 21606)  # E.164, someone else's
    assert _refused(sim, from_="8613010010000") == (400, 21606)  # ours, but not E.164
    assert _refused(sim, messaging_service_sid="MG" + "1" * 32) == (400, 21701)
    # A From and a Messaging Service: the From must be of the service's pool.
    assert _refused(sim, from_=SMS_FROM, messaging_service_sid=SERVICE_SID) == (400, 21606)
    with pytest.raises(TwilioRestException) as no_sender:
        sim.client().messages.create(to=HANDSET, body="hi")
    assert (no_sender.value.status, no_sender.value.code) == (400, 21603)
    assert sim.network.messages.all() == []


def _call_refused(sim: Harness, **create: str) -> tuple[int, int]:
    with pytest.raises(TwilioRestException) as raised:
        sim.client().calls.create(**({"to": HANDSET, "twiml": "<Response/>"} | create))
    return raised.value.status, raised.value.code


def _calls_created(standin: RestStandin) -> list[tuple[str, str, int]]:
    """(To, From, HTTP status) of each calls.create the stand-in answered."""
    return [
        (r.form["To"], r.form["From"], r.status)
        for r in standin.requests
        if r.method == "POST" and r.path.endswith("/Calls.json")
    ]


def test_a_call_is_placed_only_from_a_number_of_the_account(sim: Harness) -> None:
    assert _call_refused(sim, from_=SERVICE) == (400, 21210)  # 10010: no Twilio number
    assert _call_refused(sim, from_="+8613099999999") == (400, 21210)  # someone else's
    assert _call_refused(sim, from_="862131010010") == (400, 21210)  # ours, but not E.164
    assert _call_refused(sim, from_="client:desk") == (400, 21210)  # to a phone: a number
    for number in (SERVICE_NUMBER, SMS_FROM):  # a voice number, an SMS one: both ours
        sim.client().calls.create(to=HANDSET, from_=number, twiml="<Response/>")
    sim.client().calls.create(to="client:li_na", from_="client:desk", twiml="<Response/>")

    assert [(from_, status) for _, from_, status in _calls_created(sim.standin)][4:] == [
        (SERVICE_NUMBER, 201),
        (SMS_FROM, 201),
        ("client:desk", 201),
    ]


def test_a_verified_caller_id_may_place_a_call() -> None:
    with Harness(caller_ids=("+862161234567",)) as verified:
        verified.client().calls.create(to=HANDSET, from_="+862161234567", twiml="<Response/>")

        assert _calls_created(verified.standin) == [(HANDSET, "+862161234567", 201)]


def test_the_error_body_is_twilios_json(sim: Harness) -> None:
    raw = requests.post(
        f"{sim.standin.url}/2010-04-01/Accounts/{ACCOUNT}/Messages.json",
        data={"To": HANDSET, "From": SERVICE, "Body": "hi"},
        auth=(ACCOUNT, TOKEN),
        timeout=5,
    )

    assert raw.status_code == 400
    assert raw.headers["Content-Type"].startswith("application/json")
    body = raw.json()
    assert set(body) == {"code", "message", "more_info", "status"}
    assert (body["code"], body["status"]) == (21606, 400)
    assert body["more_info"] == "https://www.twilio.com/docs/errors/21606"


@pytest.mark.parametrize(
    "to", ["13800000001", "8613800000001", "008613800000001", "+86 138 0000 0001", "+0123456789"]
)
def test_to_must_be_e164(sim: Harness, to: str) -> None:
    assert _refused(sim, from_=SMS_FROM, to=to) == (400, 21211)


def test_a_number_that_cannot_take_sms_is_refused_with_21614(sim: Harness) -> None:
    sim.network.messages.not_mobile("+862161234567")

    assert _refused(sim, from_=SMS_FROM, to="+862161234567") == (400, 21614)


def test_a_body_over_1600_characters_is_refused_with_21617(sim: Harness) -> None:
    sim.client().messages.create(to=HANDSET, from_=SMS_FROM, body="话" * 1600)

    assert _refused(sim, from_=SMS_FROM, body="话" * 1601) == (400, 21617)


def test_a_messaging_service_accepts_then_picks_a_number_of_its_pool(sim: Harness) -> None:
    client = sim.client()

    message = client.messages.create(
        to=HANDSET,
        messaging_service_sid=SERVICE_SID,
        body="您的话费余额为 12.50 元",
        status_callback=sim.base_url + "/sms/status",
    )
    assert sim.network.wait_idle(10)

    assert (message.status, message.from_) == ("accepted", None)
    callbacks = [c.params for c in sim.app.requests_to("/sms/status")]
    assert [c["MessageStatus"] for c in callbacks] == ["queued", "sent", "delivered"]
    assert {(c["From"], c["MessagingServiceSid"]) for c in callbacks} == {
        (SERVICE_POOL, SERVICE_SID)
    }
    fetched = client.messages(message.sid).fetch()
    assert (fetched.from_, fetched.messaging_service_sid) == (SERVICE_POOL, SERVICE_SID)


def test_a_handset_can_text_only_the_accounts_numbers(sim: Harness) -> None:
    sim.app.route("/sms/incoming", response())

    for number in (SERVICE, "106550211234", "+8613099999999"):
        with pytest.raises(RestError) as raised:
            sim.network.send_sms(HANDSET, number, "0000")
        assert raised.value.code == 20404
    sim.network.send_sms(HANDSET, SERVICE_POOL, "0000")

    assert [r.params["To"] for r in sim.app.requests_to("/sms/incoming")] == [SERVICE_POOL]


@pytest.mark.parametrize(
    ("body", "segments"),
    [
        ("a" * 160, 1),
        ("a" * 161, 2),
        ("a" * 306, 2),
        ("a" * 307, 3),
        ("€" * 80, 1),  # the extension table: two septets each
        ("€" * 81, 2),
        ("£¥èé" * 40, 1),  # not ASCII, still the GSM alphabet
        ("`" + "a" * 69, 1),  # a backtick is not: UCS-2
        ("`" + "a" * 70, 2),
        ("话" * 70, 1),
        ("话" * 71, 2),
        ("话" * 134, 2),
        ("话" * 135, 3),
        ("😀" * 35, 1),  # outside the BMP: two UTF-16 units each
        ("😀" * 36, 2),
    ],
)
def test_segments_gsm7_160_153_ucs2_70_67(sim: Harness, body: str, segments: int) -> None:
    message = sim.client().messages.create(to=HANDSET, from_=SMS_FROM, body=body)

    assert message.num_segments == str(segments)


def test_lists_are_paged_by_page_size(sim: Harness) -> None:
    client = sim.client()
    sids = {client.messages.create(to=HANDSET, from_=SMS_FROM, body=f"m{i}").sid for i in range(7)}

    first = requests.get(
        f"{sim.standin.url}/2010-04-01/Accounts/{ACCOUNT}/Messages.json",
        params={"To": HANDSET, "PageSize": "3"},
        auth=(ACCOUNT, TOKEN),
        timeout=5,
    ).json()
    listed = client.messages.list(to=HANDSET, page_size=3)
    limited = client.messages.list(limit=5, page_size=2)
    too_big = requests.get(
        f"{sim.standin.url}/2010-04-01/Accounts/{ACCOUNT}/Messages.json",
        params={"PageSize": "1001"},
        auth=(ACCOUNT, TOKEN),
        timeout=5,
    )

    assert (len(first["messages"]), first["page_size"], first["start"], first["end"]) == (
        3,
        3,
        0,
        2,
    )
    assert "To=%2B8613800000001" in first["next_page_uri"]
    assert "Page=1" in first["next_page_uri"]
    assert {m.sid for m in listed} == sids and len(listed) == 7
    assert len(limited) == 5
    pages = [r.query.get("Page", "0") for r in sim.standin.requests if r.method == "GET"]
    assert pages[1:4] == ["0", "1", "2"]  # after the raw request: three pages of three
    assert too_big.status_code == 400
