"""Keys a caller types on after a one-key menu reach the next menus as Twilio delivers them:
each ``<Gather numDigits="1">`` takes one key, the next key interrupts the next menu as it
starts, and keys pressed while nothing listens for them are lost."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from simulator.inputs import Press, Silence
from simulator.timing import KEY_SECONDS, speech_seconds
from tests.support.simulator import HANDSET, SERVICE, Harness, response, say


def one_key_menu(action: str, prompt: str) -> str:
    return response(
        f'<Gather action="{action}" numDigits="1" timeout="4">', say(prompt), "</Gather>"
    )


@pytest.fixture
def sim() -> Iterator[Harness]:
    with Harness() as harness:
        harness.app.route("/voice/incoming", one_key_menu("/voice/main", "Language menu"))
        harness.app.route("/voice/main", one_key_menu("/voice/queries", "Main menu"))
        harness.app.route("/voice/queries", lambda p: response(say(f"You chose {p['Digits']}")))
        yield harness


def test_keys_typed_on_answer_the_next_one_key_menus_without_hearing_them(sim: Harness) -> None:
    result = sim.network.call(SERVICE, HANDSET, [Press("12")])

    assert result.ok, result.errors
    assert sim.app.requests_to("/voice/main")[0].params["Digits"] == "1"
    assert sim.app.requests_to("/voice/queries")[0].params["Digits"] == "2"
    assert [(h.text, h.at) for h in result.transcript] == [
        ("Language menu", 0.0),
        ("You chose 2", pytest.approx(speech_seconds("Language menu") + 2 * KEY_SECONDS)),
    ]


def test_keys_pressed_while_nothing_listens_are_lost(sim: Harness) -> None:
    sim.app.route(
        "/voice/main",
        response(say("One moment."), '<Gather action="/voice/queries" numDigits="1"/>'),
    )

    result = sim.network.call(SERVICE, HANDSET, [Press("12"), Silence()])

    assert sim.app.requests_to("/voice/queries") == []  # the 2 came during "One moment."
    assert result.transcript[-1].text == "One moment."


def test_keys_after_a_finish_key_go_to_the_next_gather(sim: Harness) -> None:
    sim.app.route("/voice/incoming", response('<Gather action="/voice/main" finishOnKey="#"/>'))
    sim.app.route("/voice/main", one_key_menu("/voice/queries", "Main menu"))

    sim.network.call(SERVICE, HANDSET, [Press("1234#9")])

    assert sim.app.requests_to("/voice/main")[0].params["Digits"] == "1234"
    assert sim.app.requests_to("/voice/queries")[0].params["Digits"] == "9"
