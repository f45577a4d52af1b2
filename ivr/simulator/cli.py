"""Click commands for the simulator; the ``ivr`` group attaches :data:`commands`.

Defaults come from the variables the application reads: ``PUBLIC_BASE_URL``,
``TWILIO_AUTH_TOKEN``, ``TWILIO_ACCOUNT_SID``.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from ivr.simulator.audio import make_speaker
from ivr.simulator.inputs import Action, InputSource, InteractiveInput, Press
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
@_connection_options
def call_command(
    number: str,
    from_: str,
    keys: str | None,
    scenario: Path | None,
    audio: bool,
    base_url: str | None,
    auth_token: str | None,
    account_sid: str | None,
    time_scale: float,
    standin_port: int,
) -> None:
    """Call NUMBER and print what the service says, line by line, with its language.

    Without --keys or --scenario the call is interactive: type keys for DTMF, "text or
    `say text` to speak, an empty line for silence, h to hang up.
    """
    if keys and scenario:
        raise click.UsageError("use --keys or --scenario, not both")
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
    with RestStandin(network, port=standin_port):
        if scenario is not None:
            try:
                loaded = Scenario.load(scenario)
            except ScenarioError as error:
                raise click.ClickException(str(error)) from error
            outcome = run_scenario(
                network, dataclasses.replace(loaded, to=number, from_=from_), on_heard=on_heard
            )
            result, failure = outcome.call, outcome.failure
        else:
            source: InputSource | list[Action] = (
                [Press(key.strip()) for key in keys.split(",") if key.strip()]
                if keys
                else InteractiveInput(_read_line)
            )
            result = network.call(number, from_, source, on_heard=on_heard)
        network.wait_idle(10)
    network.close()
    _print_outcome(result)
    if failure is not None:
        raise click.ClickException(f"scenario failed: {failure}")
    if result.errors:
        raise SystemExit(1)


@click.command("simulate")
@click.option("--calls", type=int, default=20, show_default=True)
@click.option("--concurrency", type=int, default=5, show_default=True)
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
        report = run_load(network, entries, calls=calls, concurrency=concurrency, seed=seed)
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
