"""`ivr call --timestamps`: each line starts with the simulated second at which the caller
hears it begin, so anyone can measure how long a path takes to its answer."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from click.testing import CliRunner
from flask import Response

from simulator.cli import commands
from simulator.timing import KEY_SECONDS, speech_seconds
from simulator.wav import silent_wav
from tests.support.simulator import ACCOUNT, HANDSET, SERVICE, TOKEN, Harness, response, say

CLIPS = {"greeting": 1.5, "menu": 2.25}  # seconds of audio each clip lasts


@pytest.fixture
def sim() -> Iterator[Harness]:
    with Harness() as harness:
        for name, seconds in CLIPS.items():
            body = silent_wav(seconds)
            harness.app.route(
                f"/audio/{name}.wav", lambda p, body=body: Response(body, mimetype="audio/wav")
            )
        harness.app.route(
            "/voice/incoming",
            response(
                '<Gather action="/voice/menu" numDigits="1" timeout="4">',
                "<Play>/audio/greeting.wav</Play><Play>/audio/menu.wav</Play>",
                "</Gather>",
            ),
        )
        harness.app.route(
            "/voice/menu", lambda p: response(say(f"You chose {p['Digits']}"), say("Goodbye"))
        )
        yield harness


def _call(sim: Harness, *args: str) -> list[str]:
    command = next(c for c in commands if c.name == "call")
    connection = ["--base-url", sim.base_url, "--auth-token", TOKEN, "--account-sid", ACCOUNT]
    result = CliRunner().invoke(
        command, [SERVICE, "--from", HANDSET, *connection, *args], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    return result.output.splitlines()[:-1]  # the last line says how the call ended


def test_each_line_starts_with_the_second_it_begins(sim: Harness) -> None:
    lines = _call(sim, "--keys", "1", "--timestamps")

    chose = CLIPS["greeting"] + CLIPS["menu"] + KEY_SECONDS
    goodbye = chose + speech_seconds("You chose 1")
    assert lines == [
        f"   0.0 s  [play] {sim.base_url}/audio/greeting.wav",
        f"   1.5 s  [play] {sim.base_url}/audio/menu.wav",
        f"{chose:6.1f} s  [en-US] You chose 1",
        f"{goodbye:6.1f} s  [en-US] Goodbye",
    ]


def test_without_timestamps_the_lines_are_what_was_heard_alone(sim: Harness) -> None:
    lines = _call(sim, "--keys", "1")

    assert lines[2:] == ["[en-US] You chose 1", "[en-US] Goodbye"]
