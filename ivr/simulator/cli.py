"""Click commands for the simulator; the ``ivr`` group attaches :data:`commands`.

Defaults come from the variables the application reads: ``PUBLIC_BASE_URL``,
``TWILIO_AUTH_TOKEN``, ``TWILIO_ACCOUNT_SID``, ``SPEECH_BACKEND``.
"""

from __future__ import annotations

import dataclasses
import itertools
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from ivr import speech
from ivr.simulator.audio import make_speaker
from ivr.simulator.call import Recogniser, RecognitionFailed
from ivr.simulator.inputs import (
    InputRequest,
    InputSource,
    InteractiveInput,
    Press,
    ScriptedInput,
    VoiceInput,
    recordings,
)
from ivr.simulator.load import load_mix, run_load
from ivr.simulator.network import Network, NetworkConfig
from ivr.simulator.rest_standin import RestStandin
from ivr.simulator.result import CallResult, Heard
from ivr.simulator.scenario import Scenario, ScenarioError, run_scenario

_CONNECTION_OPTIONS: list[Callable[[Any], Any]] = [
    click.option("--base-url", help="The app's public URL [env PUBLIC_BASE_URL]."),
    click.option("--auth-token", help="Signs the webhooks [env TWILIO_AUTH_TOKEN]."),
    click.option("--account-sid", help="[env TWILIO_ACCOUNT_SID]"),
    click.option(
        "--time-scale",
        type=float,
        default=0.0,
        show_default=True,
        help="Real seconds per simulated second (0: pauses and waits take no time).",
    ),
    click.option(
        "--standin-port",
        type=int,
        default=0,
        show_default=True,
        help="Port of the REST stand-in (recordings, the app's REST calls); 0 = any free port.",
    ),
]


def _connection_options(command: Callable[..., Any]) -> Callable[..., Any]:
    for option in reversed(_CONNECTION_OPTIONS):
        command = option(command)
    return command


def _network(
    base_url: str | None, auth_token: str | None, account_sid: str | None, time_scale: float
) -> Network:
    config = NetworkConfig.from_env(
        base_url=base_url, auth_token=auth_token, account_sid=account_sid, time_scale=time_scale
    )
    return Network(config)


def format_heard(heard: Heard) -> str:
    """One line of what the caller heard, e.g. ``[cmn-CN] 欢迎致电中国联通``."""
    if heard.kind == "say":
        return f"[{heard.language or '?'}] {heard.text}"
    return f"[{heard.kind}{' ' + heard.language if heard.language else ''}] {heard.text}"


def _print_outcome(result: CallResult) -> None:
    who = f", hung up by {result.hung_up_by}" if result.hung_up_by else ""
    click.echo(f"-- {result.call_sid} {result.status} after {result.duration:.0f} s{who}")
    for error in result.errors:
        click.echo(f"!! {error.code} {error.message} {error.url}".rstrip(), err=True)


def _read_line(prompt: str) -> str | None:
    try:
        return input(prompt)
    except EOFError:
        return None


def speech_recogniser(
    backend: str, report: Callable[[str, bool], None] | None = None
) -> Recogniser:
    """The simulator's recogniser over the ``ivr.speech`` backend named *backend*.

    Raises ``speech.UnknownRecognizer`` for an unknown name. A transcript's confidence is
    sent as Twilio's ``Confidence`` when the backend has one; the offline grammar backend
    has none, and the action request then has no ``Confidence`` (the app reads None), as
    Twilio may. A backend's SpeechError, e.g. a Mandarin ``<Gather>`` for the offline
    grammar backend (``UnsupportedLanguage``), becomes RecognitionFailed: the call records
    it for the developer and the caller is silent. *report(line, is_error)* hears each
    outcome as it happens.
    """
    recognizer = speech.build_recognizer(backend)

    def recognise(wav: Path, language: str) -> tuple[str, float | None]:
        try:
            transcript = recognizer.transcribe(wav, language)
        except speech.SpeechError as error:
            hint = (
                "; type the words instead, or use a backend that knows it, e.g. "
                "SPEECH_BACKEND=speechrecognition:google (online)"
                if isinstance(error, speech.UnsupportedLanguage)
                else ""
            )
            message = f"{backend}: {error}{hint}"
            if report is not None:
                report(f"!! speech from {wav.name} ({language}): {message}", True)
            raise RecognitionFailed(message) from error
        if report is not None:
            shown = transcript.text or "(nothing recognised)"
            report(f"<< {wav.name} ({language}) heard as: {shown}", False)
        return transcript.text, transcript.confidence

    return recognise


def _deferred(backend: str, report: Callable[[str, bool], None]) -> Recogniser:
    """A recogniser built on first use, for calls that may never need one."""
    built: list[Recogniser] = []

    def recognise(wav: Path, language: str) -> tuple[str, float | None]:
        if not built:
            try:
                built.append(speech_recogniser(backend, report))
            except speech.UnknownRecognizer as error:
                raise RecognitionFailed(str(error)) from error
        return built[0](wav, language)

    return recognise


def _echo_speech(line: str, is_error: bool) -> None:
    click.echo(line, err=is_error)


def _microphone_recordings(folder: Path) -> Callable[[InputRequest], Path | None]:
    """A ``VoiceInput.record`` listening on the default microphone; fails at once, with
    what to install, where SpeechRecognition's Microphone cannot work (no PyAudio)."""
    try:
        microphone = speech.open_microphone()
    except speech.MicrophoneUnavailable as error:
        raise click.ClickException(str(error)) from None
    numbers = itertools.count(1)

    def record(request: InputRequest) -> Path | None:
        click.echo(f"(speak now, {request.language}: listening on the microphone)")
        wav = speech.listen(microphone)
        if wav is None:
            click.echo("(nothing heard on the microphone)")
            return None
        path = folder / f"caller-{next(numbers)}.wav"
        path.write_bytes(wav)
        return path

    return record


@click.command("call")
@click.argument("number")
@click.option("--from", "from_", required=True, help="The caller's number (MSISDN).")
@click.option("--keys", help="DTMF for successive prompts, comma-separated, e.g. 1,2.")
@click.option(
    "--scenario",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A scenario file; its call.to / call.from are replaced by NUMBER / --from.",
)
@click.option("--audio", is_flag=True, help="Also speak each <Say> line (needs a sound device).")
@click.option(
    "--say-wav",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Voice mode: the caller speaks this WAV file (PCM or μ-law) at the next <Gather> "
    "that listens for speech, or <Record>. Repeatable, used in order; --keys serve the other "
    "prompts. Transcribed by --speech-backend, sent as SpeechResult (Confidence only when the "
    "backend gives one).",
)
@click.option(
    "--microphone",
    is_flag=True,
    help="Voice mode: speak into the default microphone at each <Gather> that listens for "
    "speech, or <Record>. Works only where SpeechRecognition's Microphone works: it needs PyAudio "
    "(PortAudio), which this project does not install; without it the call does not start "
    "and says what is missing. Use --say-wav otherwise.",
)
@click.option(
    "--speech-backend",
    envvar="SPEECH_BACKEND",
    default=speech.DEFAULT_RECOGNIZER,
    show_default=True,
    help="Recogniser for --say-wav, --microphone and typed @file.wav: sphinx-grammar "
    "(offline, English menu commands only) or speechrecognition:<engine>, e.g. "
    "speechrecognition:google (online, Mandarin too). [env SPEECH_BACKEND]",
)
@_connection_options
def call_command(
    number: str,
    from_: str,
    keys: str | None,
    scenario: Path | None,
    audio: bool,
    say_wav: tuple[Path, ...],
    microphone: bool,
    speech_backend: str,
    base_url: str | None,
    auth_token: str | None,
    account_sid: str | None,
    time_scale: float,
    standin_port: int,
) -> None:
    """Call NUMBER and print what the service says, line by line, with its language.

    Without --keys, --say-wav or --scenario the call is interactive: type keys for DTMF,
    "text or `say text` to speak, @file.wav to speak a recording, an empty line for
    silence, h to hang up. With --microphone, speech prompts listen on the microphone and
    the others ask for typed keys.
    """
    if keys and scenario:
        raise click.UsageError("use --keys or --scenario, not both")
    if (say_wav or microphone) and scenario:
        raise click.UsageError("a scenario file lists its own steps: no --say-wav or --microphone")
    if say_wav and microphone:
        raise click.UsageError("use --say-wav or --microphone, not both")
    voice = bool(say_wav) or microphone
    try:
        recogniser = (
            speech_recogniser(speech_backend, _echo_speech)
            if voice
            else _deferred(speech_backend, _echo_speech)
        )
    except speech.UnknownRecognizer as error:
        raise click.BadParameter(str(error), param_hint="--speech-backend") from None
    listeners: list[Callable[[Heard], None]] = [lambda heard: click.echo(format_heard(heard))]
    if audio:
        speaker = make_speaker(click.echo)
        if speaker is not None:
            listeners.append(speaker)

    def on_heard(heard: Heard) -> None:
        for listen in listeners:
            listen(heard)

    network = _network(base_url, auth_token, account_sid, time_scale)
    failure: str | None = None
    with RestStandin(network, port=standin_port), tempfile.TemporaryDirectory() as folder:
        if scenario is not None:
            try:
                loaded = Scenario.load(scenario)
            except ScenarioError as error:
                raise click.ClickException(str(error)) from error
            outcome = run_scenario(
                network,
                dataclasses.replace(loaded, to=number, from_=from_),
                on_heard=on_heard,
                recogniser=recogniser,
            )
            result, failure = outcome.call, outcome.failure
        else:
            source: InputSource = (
                ScriptedInput([Press(k.strip()) for k in (keys or "").split(",") if k.strip()])
                if keys or say_wav
                else InteractiveInput(_read_line)
            )
            if say_wav:
                source = VoiceInput(recordings(say_wav), then=source)
            elif microphone:
                source = VoiceInput(_microphone_recordings(Path(folder)), then=source)
            result = network.call(number, from_, source, on_heard=on_heard, recogniser=recogniser)
        network.wait_idle(10)
    network.close()
    _print_outcome(result)
    if failure is not None:
        raise click.ClickException(f"scenario failed: {failure}")
    if result.errors:
        raise SystemExit(1)


@click.command("simulate")
@click.option("--calls", type=int, default=20, show_default=True)
@click.option(
    "--concurrency", type=int, default=5, show_default=True, help="Most calls in progress at once."
)
@click.option(
    "--rate",
    type=click.FloatRange(min=0, min_open=True),
    help="New calls per second (as SIPp -r); default: start a call whenever a line is free.",
)
@click.option(
    "--mix",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    required=True,
    help="YAML: scenarios: [{file: ..., weight: ...}], files relative to the mix.",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Makes the mix reproducible.")
@_connection_options
def simulate_command(
    calls: int,
    concurrency: int,
    rate: float | None,
    mix: Path,
    seed: int,
    base_url: str | None,
    auth_token: str | None,
    account_sid: str | None,
    time_scale: float,
    standin_port: int,
) -> None:
    """Load mode: many callers following scenarios; prints completions, errors, webhook
    latency percentiles and throughput. Exits non-zero on any failure."""
    try:
        entries = load_mix(mix)
    except ScenarioError as error:
        raise click.ClickException(str(error)) from error
    network = _network(base_url, auth_token, account_sid, time_scale)
    with RestStandin(network, port=standin_port):
        report = run_load(
            network, entries, calls=calls, concurrency=concurrency, seed=seed, rate=rate
        )
        network.wait_idle(10)
    network.close()
    for line in report.summary():
        click.echo(line)
    if report.failed or report.errors:
        raise SystemExit(1)


@click.command("standin")
@click.option("--port", type=int, default=0, show_default=True)
@click.option(
    "--base-url", help="The app's public URL, for calls the app places [env PUBLIC_BASE_URL]."
)
@click.option("--auth-token", help="[env TWILIO_AUTH_TOKEN]")
@click.option("--account-sid", help="[env TWILIO_ACCOUNT_SID]")
def standin_command(
    port: int, base_url: str | None, auth_token: str | None, account_sid: str | None
) -> None:
    """Serve the Twilio REST API stand-in until interrupted (faults: POST /_standin/faults)."""
    network = _network(base_url, auth_token, account_sid, 0.0)
    with RestStandin(network, port=port) as standin:
        click.echo(f"Twilio REST stand-in on {standin.url} (Ctrl-C stops)")
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            click.echo("stopped")
    network.close()


commands: list[click.Command] = [call_command, simulate_command, standin_command]
