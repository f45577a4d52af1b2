"""Click commands for the simulator; the ``ivr`` group attaches :data:`commands`.

Defaults come from the variables the application reads: ``PUBLIC_BASE_URL``,
``TWILIO_AUTH_TOKEN``, ``TWILIO_ACCOUNT_SID``, ``SPEECH_BACKEND``.
"""

from __future__ import annotations

import dataclasses
import itertools
import tempfile
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import click

from simulator.audio import make_speaker
from simulator.call import RecognitionFailed, Recognizer
from simulator.clients import IDENTITY, AnsweringClient
from simulator.config import NotOurNumber, as_delivered
from simulator.inputs import (
    Action,
    InputRequest,
    InputSource,
    InteractiveInput,
    ScriptedInput,
    VoiceInput,
    parse_keys,
    recordings,
)
from simulator.load import load_mix, run_load
from simulator.network import Network, NetworkConfig
from simulator.rest_standin import RestStandin
from simulator.result import APPLICATION_ERROR_MESSAGE, CallError, CallResult, Heard
from simulator.scenario import MissingParty, Scenario, ScenarioError, run_scenario
from simulator.webhook import HTTP_CONNECTION_FAILURE
from speech import recognition as speech

_ENDPOINT_OPTIONS: list[Callable[[Any], Any]] = [
    click.option("--base-url", help="The app's public URL [env PUBLIC_BASE_URL]."),
    click.option("--auth-token", help="Signs the webhooks [env TWILIO_AUTH_TOKEN]."),
    click.option("--account-sid", help="[env TWILIO_ACCOUNT_SID]"),
]
_CONNECTION_OPTIONS: list[Callable[[Any], Any]] = [
    *_ENDPOINT_OPTIONS,
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


def _endpoint_options(command: Callable[..., Any]) -> Callable[..., Any]:
    for option in reversed(_ENDPOINT_OPTIONS):
        command = option(command)
    return command


def _network(
    base_url: str | None,
    auth_token: str | None,
    account_sid: str | None,
    time_scale: float,
    also_owned: tuple[str, ...] = (),
) -> Network:
    try:
        config = NetworkConfig.from_env(
            base_url=base_url, auth_token=auth_token, account_sid=account_sid, time_scale=time_scale
        )
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    if also_owned:
        config = dataclasses.replace(config, sms_numbers=config.sms_numbers + also_owned)
    return Network(config)


def format_heard(heard: Heard, timestamps: bool = False) -> str:
    """One line of what the caller heard, e.g. ``[cmn-CN] 欢迎致电中国联通``; with
    *timestamps*, first the simulated second at which it starts (``  12.3 s``)."""
    at = f"{heard.at:6.1f} s  " if timestamps else ""
    if heard.kind == "say":
        return f"{at}[{heard.language or '?'}] {heard.text}"
    return f"{at}[{heard.kind}{' ' + heard.language if heard.language else ''}] {heard.text}"


def _print_errors(errors: Sequence[CallError]) -> None:
    for error in errors:
        click.echo(f"!! {error.code} {error.message} {error.url}".rstrip(), err=True)


def _is_application_error(heard: Heard) -> bool:
    """Twilio's announcement when a webhook fails; the call ends right after it."""
    return heard.origin == "network" and heard.text == APPLICATION_ERROR_MESSAGE


def _did_not_answer(errors: Sequence[CallError]) -> str | None:
    """What to tell a developer whose service never answered a webhook that mattered
    (error 11205: refused, unknown host, timed out), or None. A caller would hear Twilio's
    application error, which hides the usual cause: the service is not running, or runs at
    another address than the one the simulator was given."""
    error = next((e for e in errors if e.fatal and e.code == HTTP_CONNECTION_FAILURE), None)
    if error is None:
        return None
    return (
        f"the service did not answer at {error.url} ({error.message}). Start it (ivr serve, "
        "or make run), or point this command at it: PUBLIC_BASE_URL=http://HOST:PORT, the "
        "value the service itself runs with (it checks signatures against it), or --base-url."
    )


def _finish_call(result: CallResult, failure: str | None, tell: Callable[[Heard], None]) -> None:
    """Report how the call ended; exit non-zero on a call error or a failed scenario.

    The application-error announcement was held back during the call (see ``on_heard`` in
    :func:`call_command`): it is told now, unless the service never answered, which is
    said plainly instead."""
    unanswered = _did_not_answer(result.errors)
    if unanswered is not None:
        raise click.ClickException(unanswered)
    for heard in filter(_is_application_error, result.transcript):
        tell(heard)
    who = f", hung up by {result.hung_up_by}" if result.hung_up_by else ""
    click.echo(f"-- {result.call_sid} {result.status} after {result.duration:.0f} s{who}")
    _print_errors(result.errors)
    if failure is not None:
        raise click.ClickException(f"scenario failed: {failure}")
    if result.errors:
        raise SystemExit(1)


def _read_line(prompt: str) -> str | None:
    """The line the caller types; None at the end of input (Ctrl-D). Ctrl-C goes on: the
    call takes it as the caller hanging up."""
    try:
        return input(prompt)
    except EOFError:
        click.echo()  # ends the prompt's line
        return None
    except KeyboardInterrupt:
        click.echo()
        raise


def speech_recognizer(
    backend: str, report: Callable[[str, bool], None] | None = None
) -> Recognizer:
    """The simulator's recognizer over the ``speech.recognition`` backend named *backend*.

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


def _deferred(backend: str, report: Callable[[str, bool], None]) -> Recognizer:
    """A recognizer built on first use, for calls that may never need one."""
    built: list[Recognizer] = []

    def recognise(wav: Path, language: str) -> tuple[str, float | None]:
        if not built:
            try:
                built.append(speech_recognizer(backend, report))
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


_PARTY_OPTIONS = {"to": "NUMBER", "from": "--from"}


def _missing_parties(missing: Sequence[str], scenario: Path | None) -> click.UsageError:
    """The usage error for a call whose number or caller nobody gave."""
    options = " and ".join(_PARTY_OPTIONS[name] for name in missing)
    if scenario is None:
        return click.UsageError(
            f"missing {options}: NUMBER is the number to call, --from the caller's number "
            "(a --scenario FILE can give both in its call: section)"
        )
    fields = " and ".join(f"call.{name}" for name in missing)
    return click.UsageError(f"{scenario} has no {fields}: add it to the file, or pass {options}")


def _parties(number: str | None, from_: str | None) -> tuple[str, str]:
    """NUMBER and --from of a call without a scenario, which needs both."""
    if number and from_:
        return number, from_
    missing = [name for name, given in (("to", number), ("from", from_)) if not given]
    raise _missing_parties(missing, None)


def _load_scenario(path: Path, number: str | None, from_: str | None) -> Scenario:
    try:
        return Scenario.load(path, to=number, from_=from_)
    except MissingParty as missing:
        raise _missing_parties(missing.missing, path) from None
    except ScenarioError as error:
        raise click.ClickException(str(error)) from error


def _keys_option(
    context: click.Context, parameter: click.Parameter, value: str | None
) -> list[Action] | None:
    """--keys as actions, refused before the call starts when an entry is not a key or -."""
    if value is None:
        return None
    try:
        return parse_keys(value)
    except ValueError as error:
        raise click.BadParameter(str(error)) from None


def _input_source(
    keys: list[Action] | None, say_wav: tuple[Path, ...], microphone: bool, folder: Path
) -> InputSource:
    """The caller: --keys and --say-wav play a script, otherwise a person types (and, with
    --microphone, speaks)."""
    source: InputSource = (
        ScriptedInput(list(keys or []))
        if keys is not None or say_wav
        else InteractiveInput(_read_line)
    )
    if say_wav:
        return VoiceInput(recordings(say_wav), then=source)
    if microphone:
        return VoiceInput(_microphone_recordings(folder), then=source)
    return source


@click.command("call")
@click.argument("number", required=False)
@click.option(
    "--from", "from_", metavar="MSISDN", help="The caller's number (default: the scenario's)."
)
@click.option(
    "--keys",
    callback=_keys_option,
    help="What the caller does at each prompt that listens, comma-separated: keys (1, 111 to "
    "type ahead, 1234#) or - to press nothing, so that the prompt times out as Twilio's "
    "<Gather> does without input. The call hangs up after the last entry (h is not a key "
    "and is refused).",
)
@click.option(
    "--scenario",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A scenario file; it says whom to call and from where (call.to, call.from), "
    "unless NUMBER or --from are given.",
)
@click.option(
    "--sip",
    is_flag=True,
    help="Call as an operator's switch does over a SIP trunk: To is sip:NUMBER@ the "
    "account's SIP domain [env STANDIN_SIP_DOMAIN], From the caller there. NUMBER may also "
    "be a sip: URI itself.",
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
    help="Recognizer for --say-wav, --microphone and typed @file.wav: sphinx-grammar "
    "(offline, English menu commands only) or speechrecognition:<engine>, e.g. "
    "speechrecognition:google (online, Mandarin too). [env SPEECH_BACKEND]",
)
@click.option(
    "--timestamps",
    is_flag=True,
    help="Start each line with the simulated second at which the caller hears it begin: "
    "<Play> lasts as long as its WAV file, <Say> as estimated from its text, each key 0.3 s, "
    "a <Gather> without input its timeout.",
)
@click.option(
    "--client",
    "clients",
    multiple=True,
    metavar="IDENTITY",
    help="Register an agent's browser phone (the console shows its identity, e.g. agent_1) "
    "with the network: it picks up at once the calls the agent accepts and talks as a "
    "dialled phone does. Repeatable. Without it, a <Dial><Client> rings nobody, as on Twilio "
    "with no browser registered.",
)
@_connection_options
def call_command(
    number: str | None,
    from_: str | None,
    keys: list[Action] | None,
    scenario: Path | None,
    sip: bool,
    audio: bool,
    say_wav: tuple[Path, ...],
    microphone: bool,
    speech_backend: str,
    timestamps: bool,
    clients: tuple[str, ...],
    base_url: str | None,
    auth_token: str | None,
    account_sid: str | None,
    time_scale: float,
    standin_port: int,
) -> None:
    """Call NUMBER from --from and print what the service says, line by line, with its
    language. With --scenario, the file alone is enough: NUMBER and --from replace its
    call.to and call.from only when given.

    NUMBER is a code (10010, 1001011, ...): the call rings the account's number for it
    (TWILIO_VOICE_NUMBERS, else the demo map make run prints), as Twilio's webhook carries
    it; or one of those numbers, or a sip: URI. --from goes in E.164 (a mainland mobile's
    11 digits get +86).

    Without --keys, --say-wav or --scenario the call is interactive: type keys for DTMF,
    "text or `say text` to speak, @file.wav to speak a recording, an empty line (or -) for
    silence, h, Ctrl-D or Ctrl-C to hang up. With --microphone, speech prompts listen on the
    microphone and the others ask for typed keys.
    """
    if keys is not None and scenario:
        raise click.UsageError("use --keys or --scenario, not both")
    if (say_wav or microphone) and scenario:
        raise click.UsageError("a scenario file lists its own steps: no --say-wav or --microphone")
    if say_wav and microphone:
        raise click.UsageError("use --say-wav or --microphone, not both")
    for identity in clients:
        if not IDENTITY.fullmatch(identity):
            raise click.BadParameter(
                f"{identity!r}: a client identity is letters, digits and _", param_hint="--client"
            )
    loaded = _load_scenario(scenario, number, from_) if scenario is not None else None
    to, caller = (loaded.to, loaded.from_) if loaded is not None else _parties(number, from_)
    voice = bool(say_wav) or microphone
    try:
        recognizer = (
            speech_recognizer(speech_backend, _echo_speech)
            if voice
            else _deferred(speech_backend, _echo_speech)
        )
    except speech.UnknownRecognizer as error:
        raise click.BadParameter(str(error), param_hint="--speech-backend") from None
    listeners: list[Callable[[Heard], None]] = [
        lambda heard: click.echo(format_heard(heard, timestamps))
    ]
    if audio:
        speaker = make_speaker(click.echo)
        if speaker is not None:
            listeners.append(speaker)

    def tell(heard: Heard) -> None:
        for listen in listeners:
            listen(heard)

    def on_heard(heard: Heard) -> None:
        if not _is_application_error(heard):  # held back until its cause is known
            tell(heard)

    network = _network(base_url, auth_token, account_sid, time_scale)
    if sip and not to.lower().startswith(("sip:", "sips:")):
        to = network.config.sip_uri(to)
        loaded = dataclasses.replace(loaded, to=to) if loaded is not None else None
    try:
        network.config.inbound_to(to)
    except NotOurNumber as error:
        network.close()
        raise click.ClickException(str(error)) from None
    for identity in clients:
        network.clients.register(identity, AnsweringClient(network.config.party_talk_seconds))
    failure: str | None = None
    with RestStandin(network, port=standin_port), tempfile.TemporaryDirectory() as folder:
        if loaded is not None:
            outcome = run_scenario(network, loaded, on_heard=on_heard, recognizer=recognizer)
            result, failure = outcome.call, outcome.failure
        else:
            source = _input_source(keys, say_wav, microphone, Path(folder))
            result = network.call(to, caller, source, on_heard=on_heard, recognizer=recognizer)
        network.wait_idle(10)
    network.close()
    _finish_call(result, failure, tell)


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


@click.command("send")
@click.option(
    "--from",
    "from_",
    required=True,
    metavar="MSISDN",
    help="The subscriber's number (a mainland mobile, or E.164).",
)
@click.option(
    "--to",
    required=True,
    metavar="NUMBER",
    help="The number texted: 10010 or an industry port (10655021...) as on the carrier's "
    "own network; for a service on Twilio, the number TWILIO_SMS_FROM names.",
)
@click.argument("text")
@_endpoint_options
def sms_send_command(
    from_: str,
    to: str,
    text: str,
    base_url: str | None,
    auth_token: str | None,
    account_sid: str | None,
) -> None:
    """Text TEXT to the service as a subscriber would, and print its reply.

    Sends Twilio's signed inbound message webhook (POST PUBLIC_BASE_URL/sms/incoming) and
    prints each <Message> of the TwiML answer. Confirmations that must arrive (unsubscribe,
    orders) go through the outbox instead: see `ivr sms outbox`. Exits non-zero when the
    service does not answer or answers an error.
    """
    # The phone plays the carrier's network: the number texted is the service's own, so the
    # message reaches it as a short code would (Twilio's side accepts only owned numbers).
    network = _network(base_url, auth_token, account_sid, 0.0, also_owned=(to,))
    exchange = network.send_sms(as_delivered(from_), to, text)
    network.close()
    unanswered = _did_not_answer(exchange.errors)
    if unanswered is not None:
        raise click.ClickException(unanswered)
    for reply in exchange.replies:
        click.echo(f"{reply.from_} -> {reply.to}: {reply.body}")
    if not exchange.replies and not exchange.errors:
        click.echo("(no reply in the answer; anything sent later is in `ivr sms outbox`)")
    _print_errors(exchange.errors)
    if any(error.fatal for error in exchange.errors):
        raise SystemExit(1)


commands: list[click.Command] = [call_command, simulate_command, standin_command]
"""Commands of the ``ivr`` group; :data:`sms_send_command` joins its ``sms`` group."""
