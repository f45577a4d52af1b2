"""Twilio's connection overrides on a callback URL (``#rc=…&rp=…``), as the simulated network
honours them: the fragment is neither sent nor signed, the failures it names are retried as
often as it says, and nothing else is."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from flask import Response

from ivr.callbacks import STATUS_CALLBACK_RETRIES
from simulator.webhook import FetchError, WebhookClient
from tests.support.simulator import HANDSET, SMS_FROM, TOKEN, Harness


@pytest.fixture
def sim() -> Iterator[Harness]:
    with Harness() as harness:
        yield harness


def failing_first(times: int, status: int = 503) -> Callable[[dict[str, str]], str | Response]:
    """An answer that is *status* for the first *times* requests, then empty TwiML."""
    seen: list[dict[str, str]] = []

    def answer(params: dict[str, str]) -> str | Response:
        seen.append(params)
        return Response("not now", status=status) if len(seen) <= times else ""

    return answer


def statuses_received(sim: Harness) -> list[tuple[str, bool]]:
    return [(r.params["MessageStatus"], r.signed) for r in sim.app.requests_to("/sms/status")]


def test_a_callback_answered_503_is_tried_again_as_its_overrides_ask(sim: Harness) -> None:
    sim.app.route("/sms/status", failing_first(2))
    sim.client().messages.create(
        to=HANDSET,
        from_=SMS_FROM,
        body="余额 12.50 元",
        status_callback=f"{sim.base_url}/sms/status#{STATUS_CALLBACK_RETRIES}",
    )
    assert sim.network.wait_idle(10)
    # Every try went to the URL without its fragment, signed over that URL.
    assert statuses_received(sim) == [
        ("sent", True),
        ("sent", True),
        ("sent", True),
        ("delivered", True),
    ]
    assert [c.status for c in sim.network.sms.callbacks] == [503, 503, 200, 200]


def test_without_overrides_a_callback_answered_503_is_lost(sim: Harness) -> None:
    sim.app.route("/sms/status", failing_first(2))
    sim.client().messages.create(
        to=HANDSET,
        from_=SMS_FROM,
        body="余额 12.50 元",
        status_callback=sim.base_url + "/sms/status",
    )
    assert sim.network.wait_idle(10)
    assert statuses_received(sim) == [("sent", True), ("delivered", True)]
    assert [c.status for c in sim.network.sms.callbacks] == [503, 503]


@pytest.mark.parametrize(
    ("fragment", "tries"),
    [
        ("rc=5&rp=4xx", 1),  # a 5xx is not what it asks to retry
        ("rc=0&rp=5xx", 1),
        ("rc=2&rp=all", 3),
        ("rc=5&rp=5xx", 4),  # the fourth try is answered
    ],
)
def test_only_the_failures_the_policy_names_are_retried_as_often_as_it_says(
    sim: Harness, fragment: str, tries: int
) -> None:
    sim.app.route("/voice/status", failing_first(3))
    client = WebhookClient(TOKEN)
    try:
        client.request("POST", f"{sim.base_url}/voice/status#{fragment}", {"CallStatus": "done"})
    except FetchError as error:
        assert error.code == "11200"
    finally:
        client.close()
    assert len(sim.app.requests_to("/voice/status")) == tries


@pytest.mark.parametrize(
    ("fragment", "code"),
    [("rc=3&rp=sometimes", "11243"), ("rc=9&rp=5xx", "11100"), ("rc=1&rp=ct&rt=60000", "11100")],
)
def test_overrides_twilio_would_not_take_fail_the_request_unsent(
    sim: Harness, fragment: str, code: str
) -> None:
    client = WebhookClient(TOKEN)
    with pytest.raises(FetchError) as refused:
        client.request("POST", f"{sim.base_url}/voice/status#{fragment}", {})
    client.close()
    assert refused.value.code == code
    assert refused.value.url == f"{sim.base_url}/voice/status"
    assert sim.app.requests_to("/voice/status") == []
