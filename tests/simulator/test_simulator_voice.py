"""Voice mode of the simulator: caller audio rendered by pyttsx3, transcribed by the speech
backend and sent as ``SpeechResult``; and ``<Play>`` lasting as long as its μ-law audio."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from flask import Response

from prompts.manifest import read_manifest
from prompts.render import render_catalog
from simulator.cli import commands, speech_recognizer
from simulator.inputs import Press, Speak
from simulator.timing import speech_seconds
from simulator.wav import wav_seconds
from tests.support.simulator import ACCOUNT, HANDSET, SERVICE, TOKEN, Harness, response, say

ASK_ENGLISH = response(
    '<Gather input="speech" language="en-US" action="/voice/said">',
    say("How can I help you?"),
    "</Gather>",
    say("No answer. Goodbye."),
)
ASK_MANDARIN = response(
    '<Gather input="speech" language="cmn-Hans-CN" action="/voice/said">',
    say("请说出您要办理的业务", "cmn-CN"),
    "</Gather>",
    say("没有听到您的回答，再见", "cmn-CN"),
)


def _said(params: dict[str, str]) -> str:
    return response(say(f"You said {params.get('SpeechResult', '')}"), "<Hangup/>")


@pytest.fixture(scope="module")
def spoken(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Caller phrases as the hotline renders prompts: pyttsx3 (espeak-ng, one process per
    utterance), then sox to 8 kHz μ-law WAV."""
    phrases = {"balance": "check my balance", "bill": "check my bill"}
    out = tmp_path_factory.mktemp("caller")
    report = render_catalog(out, languages=("en-US",), catalog=lambda language: phrases)
    assert report.failed == {}
    manifest = read_manifest(out)
    return {key: out / manifest[("en-US", key)].file for key in phrases}


@pytest.fixture
def sim() -> Iterator[Harness]:
    with Harness() as harness:
        harness.app.route("/voice/incoming", ASK_ENGLISH)
        harness.app.route("/voice/said", _said)
        yield harness


def test_spoken_wav_reaches_the_gather_action_as_speech_result(
    sim: Harness, spoken: dict[str, Path]
) -> None:
    recognizer = speech_recognizer("sphinx-grammar")

    result = sim.network.call(
        SERVICE, HANDSET, [Speak(audio=spoken["balance"])], recognizer=recognizer
    )

    [said] = sim.app.requests_to("/voice/said")
    assert "balance" in said.params["SpeechResult"]
    assert "Confidence" not in said.params  # the grammar backend has none; Twilio may omit it
    assert result.errors == []
    assert result.transcript[-1].text.startswith("You said check my balance")


def test_cli_say_wav_speaks_the_files_in_order_and_keys_serve_the_rest(
    sim: Harness, spoken: dict[str, Path]
) -> None:
    sim.app.route(
        "/voice/incoming",
        response(
            '<Gather input="speech" action="/voice/first">',
            say("What do you want?"),
            "</Gather>",
        ),
    )
    sim.app.route(
        "/voice/first",
        response('<Gather numDigits="1" action="/voice/keyed">', say("Press 1"), "</Gather>"),
    )
    sim.app.route(
        "/voice/keyed",
        response('<Gather input="dtmf speech" action="/voice/said">', say("And?"), "</Gather>"),
    )

    outcome = _call(
        sim, "--say-wav", str(spoken["balance"]), "--keys", "1", "--say-wav", str(spoken["bill"])
    )

    assert outcome.exit_code == 0, outcome.output
    assert sim.app.requests_to("/voice/first")[0].params["SpeechResult"] == "check my balance"
    assert sim.app.requests_to("/voice/keyed")[0].params["Digits"] == "1"
    assert sim.app.requests_to("/voice/said")[0].params["SpeechResult"] == "check my bill"
    assert f"<< {spoken['balance'].name} (en-US) heard as: check my balance" in outcome.stdout


def test_mandarin_gather_with_the_grammar_backend_is_explained_not_a_crash(
    sim: Harness, spoken: dict[str, Path]
) -> None:
    sim.app.route("/voice/incoming", ASK_MANDARIN)

    result = sim.network.call(
        SERVICE,
        HANDSET,
        [Speak(audio=spoken["balance"])],
        recognizer=speech_recognizer("sphinx-grammar"),
    )

    assert sim.app.requests_to("/voice/said") == []  # the caller was silent: Twilio falls through
    assert result.transcript[-1].text == "没有听到您的回答，再见"
    assert result.status == "completed"
    [error] = result.errors
    assert not error.fatal
    assert "cmn-Hans-CN" in error.message
    assert "no offline Mandarin model" in error.message
    assert "SPEECH_BACKEND=speechrecognition:google" in error.message


def test_cli_mandarin_gather_prints_the_reason_and_fails_cleanly(
    sim: Harness, spoken: dict[str, Path]
) -> None:
    sim.app.route("/voice/incoming", ASK_MANDARIN)

    outcome = _call(sim, "--say-wav", str(spoken["balance"]))

    assert outcome.exit_code == 1
    assert not isinstance(outcome.exception, Exception)  # SystemExit(1), not a traceback
    assert "no offline Mandarin model" in outcome.stderr
    assert "[cmn-CN] 没有听到您的回答，再见" in outcome.stdout


def test_cli_unknown_speech_backend_is_a_usage_error(sim: Harness, spoken: dict[str, Path]) -> None:
    outcome = _call(
        sim, "--say-wav", str(spoken["balance"]), "--speech-backend", "speechrecognition:nosuch"
    )

    assert outcome.exit_code == 2
    assert "no engine 'nosuch'" in outcome.output
    assert sim.app.received == []


def test_cli_microphone_without_pyaudio_says_what_is_missing(
    sim: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "pyaudio", None)  # as here: PyAudio is not installed

    outcome = _call(sim, "--microphone")

    assert outcome.exit_code == 1
    assert "needs PyAudio" in outcome.output
    assert "--say-wav" in outcome.output
    assert sim.app.received == []


def test_typed_recording_without_voice_options_uses_the_deferred_recognizer(
    sim: Harness, spoken: dict[str, Path]
) -> None:
    outcome = _call(sim, input=f"@{spoken['balance']}\n")

    assert outcome.exit_code == 0, outcome.output
    assert sim.app.requests_to("/voice/said")[0].params["SpeechResult"] == "check my balance"


def test_mulaw_play_lasts_as_long_as_its_audio(sim: Harness, tmp_path: Path) -> None:
    mulaw = _tone(tmp_path / "mulaw.wav", 2.5, "-r", "8000", "-e", "mu-law")
    pcm = _tone(tmp_path / "pcm.wav", 1.25, "-r", "22050", "-e", "signed-integer", "-b", "16")
    for name, path in (("mulaw", mulaw), ("pcm", pcm)):
        body = path.read_bytes()
        sim.app.route(
            f"/audio/{name}.wav", lambda p, body=body: Response(body, mimetype="audio/wav")
        )
    sim.app.route(
        "/voice/incoming",
        response(
            '<Play loop="2">/audio/mulaw.wav</Play>',
            say("after mulaw"),
            "<Play>/audio/pcm.wav</Play>",
            say("after pcm"),
        ),
    )

    result = sim.network.call(SERVICE, HANDSET, [Press("1")])

    at = {heard.text: heard.at for heard in result.transcript if heard.kind == "say"}
    assert at["after mulaw"] == pytest.approx(2 * 2.5)
    assert at["after pcm"] - at["after mulaw"] == pytest.approx(
        speech_seconds("after mulaw") + 1.25, abs=1e-3
    )


@pytest.mark.parametrize(
    ("options", "seconds"),
    [
        (("-r", "8000", "-e", "mu-law"), 1.5),
        (("-r", "8000", "-e", "a-law"), 0.75),
        (("-r", "16000", "-e", "signed-integer", "-b", "16", "-c", "2"), 2.0),
        (("-r", "44100", "-e", "floating-point", "-b", "32"), 0.5),
    ],
)
def test_wav_seconds_reads_the_header_of_any_encoding(
    tmp_path: Path, options: tuple[str, ...], seconds: float
) -> None:
    wav = _tone(tmp_path / "tone.wav", seconds, *options)
    assert wav_seconds(wav.read_bytes()) == pytest.approx(seconds, abs=1e-3)
    assert _soxi_seconds(wav) == pytest.approx(seconds, abs=1e-3)


def test_wav_seconds_of_odd_files() -> None:
    fmt = b"fmt " + (16).to_bytes(4, "little") + _fmt(7, 1, 8000, 8000, 1, 8)
    listed = b"LIST" + (3).to_bytes(4, "little") + b"abc\x00"  # odd size: one pad byte
    piped = b"data" + (0xFFFFFFFF).to_bytes(4, "little") + b"\xff" * 4000
    body = fmt + listed + piped
    assert wav_seconds(b"RIFF" + len(body).to_bytes(4, "little") + b"WAVE" + body) == 0.5
    assert wav_seconds(b"not a wav at all") is None
    assert wav_seconds(b"RIFF\x00\x00\x00\x00WAVE" + piped) is None  # no fmt chunk
    assert wav_seconds(b"RIFF\x00\x00\x00\x00WAVE" + fmt) is None  # no data chunk


def _fmt(tag: int, channels: int, rate: int, byte_rate: int, align: int, bits: int) -> bytes:
    return b"".join(
        value.to_bytes(size, "little")
        for value, size in ((tag, 2), (channels, 2), (rate, 4), (byte_rate, 4), (align, 2))
    ) + bits.to_bytes(2, "little")


def _tone(path: Path, seconds: float, *options: str) -> Path:
    subprocess.run(
        ["sox", "-n", *options, str(path), "synth", str(seconds), "sine", "440"], check=True
    )
    return path


def _soxi_seconds(path: Path) -> float:
    done = subprocess.run(["sox", "--i", "-D", str(path)], capture_output=True, check=True)
    return float(done.stdout)


def _call(sim: Harness, *args: str, input: str | None = None) -> Result:
    command = next(c for c in commands if c.name == "call")
    connection = ["--base-url", sim.base_url, "--auth-token", TOKEN, "--account-sid", ACCOUNT]
    return CliRunner().invoke(
        command,
        [SERVICE, "--from", HANDSET, *args, *connection],
        input=input,
        env={"SPEECH_BACKEND": None},  # the default backend, whatever this shell configures
    )
