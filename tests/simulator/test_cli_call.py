"""`ivr call` as a new user meets it: hanging up, silence in --keys, a scenario file on its
own, and a service that is not where the simulator looks for it."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner

from simulator.cli import commands
from simulator.inputs import Hangup, InteractiveInput, Press, Silence, parse_keys, parse_typed
from simulator.webhook import FetchError, WebhookClient
from tests.support.live import free_port
from tests.support.polling import PATIENCE_S, wait_for
from tests.support.simulator import (
    ACCOUNT,
    HANDSET,
    SERVICE,
    SERVICE_NUMBER,
    TOKEN,
    Harness,
    response,
    say,
)

IVR = str(Path(sys.executable).parent / "ivr")
MENU = response(
    '<Gather action="/voice/menu" numDigits="1">',
    say("Press 1"),
    "</Gather>",
    "<Redirect>/voice/no-input</Redirect>",
)


@pytest.fixture
def sim() -> Iterator[Harness]:
    with Harness() as harness:
        harness.app.route("/voice/incoming", MENU)
        harness.app.route(
            "/voice/menu",
            lambda p: response(
                say(f"You chose {p['Digits']}"), "<Redirect>/voice/incoming</Redirect>"
            ),
        )
        harness.app.route("/voice/no-input", response(say("No input received"), "<Hangup/>"))
        yield harness


def _call(
    *args: str, input: str | None = None, env: dict[str, str] | None = None
) -> tuple[int, str]:
    command = next(c for c in commands if c.name == "call")
    result = CliRunner().invoke(command, list(args), input=input, env=env, catch_exceptions=False)
    return result.exit_code, result.output


def _connection(base_url: str) -> list[str]:
    return ["--base-url", base_url, "--auth-token", TOKEN, "--account-sid", ACCOUNT]


def _paths(sim: Harness) -> list[str]:
    return [r.path for r in sim.app.received]


# -- hanging up and silence -----------------------------------------------------------------


def test_a_dash_in_keys_lets_the_menu_time_out_without_digits(sim: Harness) -> None:
    code, output = _call(SERVICE, "--from", HANDSET, "--keys", "1,-", *_connection(sim.base_url))

    assert code == 0, output
    assert output.splitlines()[:-1] == [
        "[en-US] Press 1",
        "[en-US] You chose 1",
        "[en-US] Press 1",
        "[en-US] No input received",
    ]
    assert _paths(sim) == [
        "/voice/incoming",
        "/voice/menu",
        "/voice/incoming",
        "/voice/no-input",
        "/voice/status",
    ]
    assert "Digits" not in sim.app.requests_to("/voice/no-input")[0].params


def test_h_in_keys_is_refused_before_anything_is_sent(sim: Harness) -> None:
    code, output = _call(SERVICE, "--from", HANDSET, "--keys", "1,h", *_connection(sim.base_url))

    assert code == 2
    assert (
        "Invalid value for '--keys': 'h' is not DTMF: a phone has the keys 0-9, * and #; "
        "use - to press nothing (the call hangs up after the last entry)"
    ) in " ".join(output.split())
    assert sim.app.received == []


def test_keys_entries_are_dtmf_or_silence() -> None:
    assert parse_keys("2, 111 ,-,1234#,*") == [
        Press("2"),
        Press("111"),
        Silence(),
        Press("1234#"),
        Press("*"),
    ]
    for bad in ("1,,2", "1,a", "hangup"):
        with pytest.raises(ValueError, match="is not DTMF"):
            parse_keys(bad)


def test_typed_dash_is_silence_and_words_are_not_sent_as_keys() -> None:
    assert parse_typed("-") == Silence()
    assert parse_typed("h") == Hangup()
    with pytest.raises(ValueError) as raised:
        parse_typed("balance")
    assert str(raised.value) == (
        "'balance' is not DTMF: a phone has the keys 0-9, * and #; to speak, type \"balance"
    )


def test_interactive_prompt_names_both_ways_to_hang_up_and_h_hangs_up(sim: Harness) -> None:
    code, output = _call(SERVICE, "--from", HANDSET, *_connection(sim.base_url), input="h\n")

    assert code == 0, output
    assert 'input [dtmf] — keys, "text, empty = silence, h or Ctrl-D = hang up > ' in output
    assert output.splitlines()[-1].endswith("hung up by caller")
    assert _paths(sim) == ["/voice/incoming", "/voice/status"]


def test_interactive_end_of_input_hangs_up(sim: Harness) -> None:
    code, output = _call(SERVICE, "--from", HANDSET, *_connection(sim.base_url), input="")

    assert code == 0, output
    assert output.splitlines()[-1].endswith("hung up by caller")
    assert _paths(sim) == ["/voice/incoming", "/voice/status"]


def ctrl_c(prompt: str) -> str:
    """A person at the prompt pressing Ctrl-C."""
    raise KeyboardInterrupt


def test_ctrl_c_at_the_prompt_hangs_up_as_h_does(sim: Harness) -> None:
    try:
        result = sim.network.call(SERVICE, HANDSET, InteractiveInput(ctrl_c))
    except KeyboardInterrupt:  # would stop the whole test run
        pytest.fail("Ctrl-C went past the call: nobody hung up")

    assert (result.status, result.hung_up_by) == ("completed", "caller")
    assert _paths(sim) == ["/voice/incoming", "/voice/status"]
    assert sim.app.requests_to("/voice/status")[0].params["CallStatus"] == "completed"


@pytest.mark.slow
def test_ctrl_c_in_an_interactive_call_hangs_up_and_exits_0(sim: Harness, tmp_path: Path) -> None:
    output = tmp_path / "call.log"
    with (
        output.open("w") as log,
        subprocess.Popen(
            [IVR, "call", SERVICE, "--from", HANDSET, *_connection(sim.base_url)],
            stdin=subprocess.PIPE,  # open, and silent: the caller thinks
            stdout=log,
            stderr=subprocess.STDOUT,
        ) as call,
    ):
        try:
            wait_for(lambda: "hang up > " in output.read_text(), "the prompt")
            call.send_signal(signal.SIGINT)
            assert call.wait(timeout=PATIENCE_S) == 0, output.read_text()
        finally:
            call.kill()

    assert output.read_text().splitlines()[-1].endswith("hung up by caller")
    assert [r.params["CallStatus"] for r in sim.app.requests_to("/voice/status")] == ["completed"]


def test_interactive_words_are_asked_again_not_sent(sim: Harness) -> None:
    code, output = _call(
        SERVICE, "--from", HANDSET, *_connection(sim.base_url), input="balance\n1\nh\n"
    )

    assert code == 0, output
    assert "'balance' is not DTMF: a phone has the keys 0-9, * and #; " in output
    assert [r.params["Digits"] for r in sim.app.requests_to("/voice/menu")] == ["1"]


# -- a scenario file on its own -------------------------------------------------------------

SCENARIO = f"""\
    name: press 1
    call: {{to: "{SERVICE}", from: "{HANDSET}"}}
    steps:
      - expect: Press 1
      - press: 1
      - expect: You chose 1
    """


def _scenario(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "scenario.yaml"
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return path


def test_a_scenario_file_alone_is_enough(sim: Harness, tmp_path: Path) -> None:
    path = _scenario(tmp_path, SCENARIO)

    code, output = _call("--scenario", str(path), *_connection(sim.base_url))

    assert code == 0, output
    first = sim.app.requests_to("/voice/incoming")[0].params
    assert (first["To"], first["From"]) == (SERVICE_NUMBER, HANDSET)


def test_number_and_from_replace_the_scenarios_only_when_given(
    sim: Harness, tmp_path: Path
) -> None:
    path = _scenario(tmp_path, SCENARIO)

    code, output = _call("1001011", "--scenario", str(path), *_connection(sim.base_url))

    assert code == 0, output
    first = sim.app.requests_to("/voice/incoming")[0].params
    assert (first["To"], first["From"]) == ("+862131001011", HANDSET)


def test_a_scenario_without_a_call_section_needs_number_and_from(
    sim: Harness, tmp_path: Path
) -> None:
    path = _scenario(tmp_path, "steps: [{press: 1}]\n")

    missing, output = _call("--scenario", str(path), *_connection(sim.base_url))
    given, _ = _call(
        SERVICE, "--from", HANDSET, "--scenario", str(path), *_connection(sim.base_url)
    )

    assert missing == 2
    assert (
        f"{path} has no call.to and call.from: add it to the file, or pass NUMBER and --from"
        in " ".join(output.split())
    )
    assert given == 0
    assert [r.params["Digits"] for r in sim.app.requests_to("/voice/menu")] == ["1"]


def test_without_a_scenario_number_and_from_are_required(sim: Harness) -> None:
    code, output = _call(SERVICE, *_connection(sim.base_url))

    assert code == 2
    assert "missing --from: NUMBER is the number to call, --from the caller's number" in " ".join(
        output.split()
    )
    assert sim.app.received == []


# -- whom the call reaches, as Twilio's webhook says -----------------------------------------


def _first_call(sim: Harness) -> tuple[str, str]:
    first = sim.app.requests_to("/voice/incoming")[0].params
    return first["To"], first["From"]


def test_a_code_rings_the_accounts_number_for_it_from_an_e164_caller(sim: Harness) -> None:
    code, output = _call(
        "1001011", "--from", "13800138000", "--keys", "1", *_connection(sim.base_url)
    )

    assert code == 0, output
    assert _first_call(sim) == ("+862131001011", "+8613800138000")


def test_the_number_map_is_the_one_the_service_reads(sim: Harness) -> None:
    env = {"TWILIO_VOICE_NUMBERS": "10010=+862131019999,1001011=+862131011111"}

    code, output = _call(
        "1001011", "--from", HANDSET, "--keys", "1", *_connection(sim.base_url), env=env
    )

    assert code == 0, output
    assert _first_call(sim) == ("+862131011111", HANDSET)


def test_a_sip_call_dials_the_code_at_the_accounts_sip_domain(sim: Harness) -> None:
    code, output = _call(
        "1001011", "--sip", "--from", HANDSET, "--keys", "1", *_connection(sim.base_url)
    )

    assert code == 0, output
    domain = "hotline-10010.sip.twilio.com"
    assert _first_call(sim) == (f"sip:1001011@{domain}", f"sip:{HANDSET}@{domain}")


def test_a_sip_uri_is_dialled_as_it_is(sim: Harness) -> None:
    uri = "sip:1001011@operator.sip.twilio.com;transport=tls"

    code, output = _call(uri, "--from", HANDSET, "--keys", "1", *_connection(sim.base_url))

    assert code == 0, output
    assert _first_call(sim) == (uri, f"sip:{HANDSET}@operator.sip.twilio.com")


def test_a_number_of_no_one_on_the_account_is_refused_before_calling(sim: Harness) -> None:
    code, output = _call("10086", "--from", HANDSET, "--keys", "1", *_connection(sim.base_url))

    assert code == 1
    assert f"10086 rings no number of account {ACCOUNT}" in output
    assert "1001011 (+862131001011)" in output
    assert sim.app.received == []


# -- a service that does not answer ---------------------------------------------------------


def test_a_service_that_does_not_answer_is_said_plainly() -> None:
    base_url = f"http://127.0.0.1:{free_port()}"

    code, output = _call(SERVICE, "--from", HANDSET, "--keys", "1", *_connection(base_url))

    assert code == 1
    assert " ".join(output.split()) == (
        f"Error: the service did not answer at {base_url}/voice/incoming (Connection refused). "
        "Start it (ivr serve, or make run), or point this command at it: "
        "PUBLIC_BASE_URL=http://HOST:PORT, the value the service itself runs with (it checks "
        "signatures against it), or --base-url."
    )


def test_an_application_error_is_still_told_when_the_service_answers(sim: Harness) -> None:
    sim.app.route("/voice/menu", lambda p: "")  # no TwiML: Twilio's 12100
    code, output = _call(SERVICE, "--from", HANDSET, "--keys", "1", *_connection(sim.base_url))

    assert code == 1
    lines = output.splitlines()
    assert lines[:2] == [
        "[en-US] Press 1",
        "[en-US] We are sorry, an application error has occurred. Goodbye.",
    ]
    assert lines[2].endswith("completed after 1 s, hung up by network")
    assert lines[3].startswith("!! 12100 ")
    assert lines[3].endswith(f"{sim.base_url}/voice/menu")


def test_a_webhook_that_times_out_says_after_how_long(monkeypatch: pytest.MonkeyPatch) -> None:
    def time_out(*args: object, **kwargs: object) -> None:
        raise requests.ReadTimeout("read timed out")

    monkeypatch.setattr(requests.Session, "request", time_out)
    client = WebhookClient(TOKEN, timeout=15.0)

    with pytest.raises(FetchError) as raised:
        client.request("POST", "http://127.0.0.1:5000/voice/incoming", {})

    assert (raised.value.code, raised.value.message) == ("11205", "no answer within 15 s")
