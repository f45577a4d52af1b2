"""The desk's callback call asks Twilio to retry its status callback (connection overrides), as
every status callback the service hands out does; the simulated network requests and signs
the URL without the fragment."""

from __future__ import annotations

from expert_desk.telephony import Telephony
from tests.support.simulator import SMS_FROM, Harness, response


def test_a_callback_call_asks_twilio_to_retry_its_status_callback() -> None:
    with Harness() as sim:
        sim.app.route("/voice/desk/callback/7/answer", response("<Hangup/>"))
        sim.app.route("/voice/desk/callback/7/status", "")
        Telephony(sim.client(), sim.base_url, SMS_FROM).call_back("13800138000", 7)
        assert sim.network.wait_idle(30)

    [create] = [r for r in sim.standin.requests if r.path.endswith("/Calls.json")]
    assert create.form["StatusCallback"] == (
        sim.base_url + "/voice/desk/callback/7/status#rc=5&rp=ct,rt,5xx"
    )
    statuses = sim.app.requests_to("/voice/desk/callback/7/status")
    assert [(r.params["CallStatus"], r.signed) for r in statuses] == [("completed", True)]
