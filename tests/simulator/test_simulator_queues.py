"""Queues: the waitUrl loop, and callers taken out by the REST API or by an agent's <Dial>."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from simulator.inputs import Hangup, Hold, Press, Wait
from tests.support.polling import PATIENCE_S
from tests.support.simulator import HANDSET, SERVICE, SERVICE_NUMBER, Harness, response, say

ENQUEUE = response(
    '<Enqueue waitUrl="/voice/wait" action="/voice/after-queue">support</Enqueue>',
    say("after the queue"),
)


@pytest.fixture
def sim() -> Iterator[Harness]:
    with Harness() as harness:
        harness.app.route("/voice/incoming", ENQUEUE)
        harness.app.route(
            "/voice/wait",
            lambda p: response(say(f"You are number {p['QueuePosition']}"), '<Pause length="10"/>'),
        )
        harness.app.route(
            "/voice/after-queue", lambda p: response(say(f"queue result {p['QueueResult']}"))
        )
        yield harness


def test_wait_url_loops_until_the_rest_api_dequeues_the_caller(sim: Harness) -> None:
    sim.app.route("/voice/agent-ready", response(say("An agent will help you now")))
    caller = sim.network.start(sim.network.inbound_spec(SERVICE, HANDSET), [Hold()])
    sim.network.wait_for_queue("support")
    client = sim.client()

    queue = next(q for q in client.queues.list() if q.friendly_name == "support")
    members = client.queues(queue.sid).members.list()
    assert queue.current_size == 1
    assert [(m.call_sid, m.position) for m in members] == [(caller.sid, 1)]
    client.queues(queue.sid).members("Front").update(
        url=sim.base_url + "/voice/agent-ready", method="POST"
    )
    result = caller.result(timeout=PATIENCE_S)

    wait = sim.app.requests_to("/voice/wait")[0].params
    assert wait["QueuePosition"] == "1"
    assert wait["QueueSid"] == queue.sid
    assert wait["CurrentQueueSize"] == "1"
    assert wait["MaxQueueSize"] == "1000"
    assert {"QueueTime", "AvgQueueTime"} <= wait.keys()
    assert sim.app.requests_to("/voice/after-queue")[0].params["QueueResult"] == "redirected"
    assert result.transcript[0].text == "You are number 1"
    assert result.transcript[-1].text == "An agent will help you now"
    assert all(r.signed for r in sim.app.received)
    assert client.queues(queue.sid).fetch().current_size == 0


def test_agent_dial_queue_bridges_the_first_caller(sim: Harness) -> None:
    sim.app.route("/voice/whisper", response(say("Connecting you to an agent")))
    sim.app.route("/voice/agent-done", response(say("agent leg done")))
    sim.network.set_script("agent-7", [Wait(45), Hangup()])
    caller = sim.network.start(
        sim.network.inbound_spec(SERVICE, HANDSET), [Hold(), Wait(120), Hangup()]
    )
    sim.network.wait_for_queue("support")

    agent_call = sim.client().calls.create(
        to="agent-7",
        from_=SERVICE_NUMBER,
        twiml=(
            f'<Response><Dial action="{sim.base_url}/voice/agent-done">'
            f'<Queue url="{sim.base_url}/voice/whisper">support</Queue></Dial></Response>'
        ),
    )
    result = caller.result(timeout=PATIENCE_S)
    assert sim.network.wait_idle(10)

    whisper = sim.app.requests_to("/voice/whisper")[0].params
    assert whisper["DequeingCallSid"] == agent_call.sid
    assert whisper["CallSid"] == caller.sid
    after = sim.app.requests_to("/voice/after-queue")[0].params
    assert after["QueueResult"] == "bridged"
    dial = sim.app.requests_to("/voice/agent-done")[0].params
    assert dial["DialCallStatus"] == "completed"
    assert dial["DialCallSid"] == caller.sid
    assert dial["DialCallDuration"] == "45"
    assert [h.text for h in result.transcript][-2:] == [
        "Connecting you to an agent",
        "queue result bridged",
    ]


def test_caller_presses_a_key_in_the_wait_music_to_leave(sim: Harness) -> None:
    sim.app.route(
        "/voice/wait",
        response(
            '<Gather numDigits="1" action="/voice/leave-choice">',
            say("Press 1 to leave a message"),
            "</Gather>",
        ),
    )
    sim.app.route("/voice/leave-choice", response("<Leave/>"))

    result = sim.network.call(SERVICE, HANDSET, [Press("1")])

    assert sim.app.requests_to("/voice/leave-choice")[0].params["Digits"] == "1"
    assert sim.app.requests_to("/voice/after-queue")[0].params["QueueResult"] == "leave"
    assert result.transcript[-1].text == "queue result leave"


def test_caller_waits_then_hangs_up_in_the_queue(sim: Harness) -> None:
    result = sim.network.call(SERVICE, HANDSET, [Wait(25), Hangup()])

    waits = sim.app.requests_to("/voice/wait")
    times = [int(r.params["QueueTime"]) for r in waits]
    assert len(waits) >= 2 and times == sorted(times) and times[-1] > 0
    assert sim.app.requests_to("/voice/after-queue")[0].params["QueueResult"] == "hangup"
    assert result.hung_up_by == "caller"
    assert result.duration >= 25


def test_calls_update_redirects_and_completes_live_calls(sim: Harness) -> None:
    client = sim.client()
    first = sim.network.start(sim.network.inbound_spec(SERVICE, HANDSET), [Hold()])
    second = sim.network.start(sim.network.inbound_spec(SERVICE, "+8613800000002"), [Hold()])
    sim.network.wait_for_queue("support", size=2)

    client.calls(first.sid).update(twiml=response(say("redirected by the API")))
    client.calls(second.sid).update(status="completed")
    one, two = first.result(timeout=PATIENCE_S), second.result(timeout=PATIENCE_S)

    assert one.transcript[-1].text == "redirected by the API"
    assert two.hung_up_by == "api"
    results = sorted(r.params["QueueResult"] for r in sim.app.requests_to("/voice/after-queue"))
    assert results == ["hangup", "redirected"]
    assert client.calls(first.sid).fetch().status == "completed"


def test_full_queue_answers_queue_full(sim: Harness) -> None:
    sim.client().queues.create(friendly_name="support", max_size=1)
    waiting = sim.network.start(sim.network.inbound_spec(SERVICE, HANDSET), [Hold()])
    sim.network.wait_for_queue("support")

    result = sim.network.call(SERVICE, "+8613800000003")
    sim.network.complete(waiting.sid)
    waiting.result(timeout=PATIENCE_S)

    assert result.transcript[-1].text == "queue result queue-full"


def test_outbound_call_runs_the_app_url_and_reports_its_status(sim: Harness) -> None:
    sim.app.route("/voice/outbound", response(say("Your bill is ready")))

    call = sim.client().calls.create(
        to=HANDSET,
        from_=SERVICE_NUMBER,
        url=sim.base_url + "/voice/outbound",
        status_callback=sim.base_url + "/voice/status",
    )
    assert sim.network.wait_idle(10)

    outbound = sim.app.requests_to("/voice/outbound")[0].params
    assert outbound["Direction"] == "outbound-api"
    assert outbound["CallStatus"] == "in-progress"
    assert outbound["CallSid"] == call.sid
    status = sim.app.requests_to("/voice/status")[0].params
    assert status["CallStatus"] == "completed"
