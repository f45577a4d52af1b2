"""`make run` (scripts/run-local) as a new user meets it (issue 11): a port already in use is
said plainly before anything is set up, the banner names the database and prints commands that
work as printed, Accept in the console connects a call placed as the banner says, and Ctrl-C
or SIGTERM stops the service and the SMS worker with exit status 0.

The script runs with prompt audio off (``PROMPT_AUDIO=0``): it then renders nothing, which
these tests do not need (the first render of every prompt takes a minute on two cores)."""

from __future__ import annotations

import math
import os
import re
import signal
import socket
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner

from expert_desk.demo import DEMO_PASSWORD
from expert_desk.settings import DeskSettings
from hotline.cli import main
from ivr.config import LOCAL_VOICE_NUMBERS
from prompts.catalog import prompts
from simulator.clients import AnsweringClient
from simulator.config import DEFAULT_VOICE_NUMBERS
from simulator.inputs import Press
from simulator.network import Network, NetworkConfig
from simulator.rest_standin import RestStandin
from tests.support.desk import HoldingCaller
from tests.support.live import free_port
from tests.support.paths import ROOT
from tests.support.polling import PATIENCE_S, wait_for

RUN_LOCAL = ROOT / "scripts" / "run-local"
RUN_LOCAL_SETTINGS = frozenset(
    {
        "HOST",
        "PORT",
        "PUBLIC_BASE_URL",
        "DATABASE_URL",
        "PROMPT_AUDIO",
        "PROMPT_AUDIO_DIR",
        "DESK_HOURS",
        "AGENT_HOURS",
        "STANDIN_PORT",
        "TWILIO_API_BASE_URL",
        "TWILIO_VOICE_NUMBERS",
    }
)
"""The variables make run reads, or sets for what it starts."""


def another_terminal() -> dict[str, str]:
    """The environment of a new user's second terminal: none of make run's settings."""
    return {k: v for k, v in os.environ.items() if k not in RUN_LOCAL_SETTINGS}


def run_local_env(tmp_path: Path, port: int, **settings: str) -> dict[str, str]:
    """The environment of a `make run` on *port* whose files all live in *tmp_path*, with
    prompt audio off, and *settings*."""
    return another_terminal() | {
        "PORT": str(port),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'hotline.db'}",
        "PROMPT_AUDIO": "0",
        "PROMPT_AUDIO_DIR": str(tmp_path / "prompts"),  # where audio would go: never made
        **settings,
    }


@pytest.fixture
def taken_port() -> Iterator[int]:
    """A port another program listens on."""
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        yield other.getsockname()[1]


def in_use(port: int) -> str:
    return (
        f"Error: 127.0.0.1:{port} is already in use by another program (the service, started "
        f"earlier?). Start on another port: make run PORT={port + 1}, "
        f"or ivr serve --port {port + 1}\n"
    )


def test_serve_refuses_a_port_in_use_saying_which_to_choose(
    taken_port: int, tmp_path: Path
) -> None:
    env = run_local_env(tmp_path, taken_port)
    result = CliRunner().invoke(main, ["serve", "--port", str(taken_port)], env=env)
    assert (result.exit_code, result.output) == (1, in_use(taken_port))


@pytest.mark.slow
def test_make_run_checks_the_port_before_setting_anything_up(
    taken_port: int, tmp_path: Path
) -> None:
    result = subprocess.run(
        [RUN_LOCAL],
        env=run_local_env(tmp_path, taken_port),
        capture_output=True,
        text=True,
        timeout=PATIENCE_S,
        check=False,
    )
    assert (result.returncode, result.stdout, result.stderr) == (1, "", in_use(taken_port))
    assert not (tmp_path / "hotline.db").exists()


def test_the_service_the_simulator_and_make_run_share_one_demo_map() -> None:
    """Without TWILIO_VOICE_NUMBERS, `ivr serve` and `ivr call` agree which number is whose."""
    simulator = ",".join(f"{code}={number}" for code, number in DEFAULT_VOICE_NUMBERS)

    assert simulator == LOCAL_VOICE_NUMBERS
    assert f'demo_numbers="{LOCAL_VOICE_NUMBERS}"' in RUN_LOCAL.read_text()


# -- what the script asks of `ivr` ----------------------------------------------------------


def test_prompt_audio_switched_off_renders_nothing(tmp_path: Path) -> None:
    out = tmp_path / "prompts"
    result = CliRunner().invoke(
        main,
        ["prompts", "render", "--if-enabled", "--out", str(out)],
        env={"PROMPT_AUDIO": "off"},
    )
    assert (result.exit_code, result.output) == (
        0,
        "PROMPT_AUDIO is off: the service says every prompt, nothing to render\n",
    )
    assert not out.exists()


def test_a_prompt_audio_setting_the_service_refuses_renders_nothing(tmp_path: Path) -> None:
    out = tmp_path / "prompts"
    result = CliRunner().invoke(
        main,
        ["prompts", "render", "--if-enabled", "--out", str(out)],
        env={"PROMPT_AUDIO": "sometimes"},
    )
    assert result.exit_code == 1
    assert "PROMPT_AUDIO must be true or false, not 'sometimes'" in result.output
    assert not out.exists()


@pytest.mark.parametrize(
    ("database_url", "shown"),
    [
        pytest.param("sqlite:///var/x.db", f"sqlite:///{ROOT}/var/x.db", id="relative SQLite"),
        pytest.param("sqlite:////srv/h.db", "sqlite:////srv/h.db", id="absolute SQLite"),
        pytest.param(
            "postgresql+psycopg://hotline:s3cret@db:5433/hotline?sslmode=require",
            "postgresql+psycopg://hotline:***@db:5433/hotline?sslmode=require",
            id="PostgreSQL with a password",
        ),
    ],
)
def test_db_where_names_the_database_without_its_password(
    database_url: str, shown: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(main, ["db", "where"], env={"DATABASE_URL": database_url})
    assert result.exit_code == 0, result.output
    assert result.stdout == f"{shown}\n"
    assert "s3cret" not in result.output


# -- the script running ---------------------------------------------------------------------


def group_is_gone(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return True
    return False


def answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=5).status_code == 200
    except requests.ConnectionError:
        return False


@contextmanager
def make_run(
    tmp_path: Path, **settings: str
) -> Iterator[tuple[subprocess.Popen[bytes], Path, str]]:
    """scripts/run-local with *settings*, once the worker runs and the service answers; its
    output file and the service's URL.

    In a session of its own, whose process group is what a terminal signals on Ctrl-C.
    Whatever of it is left at the end is killed.
    """
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    output = tmp_path / "run-local.log"
    with output.open("w") as log:
        run = subprocess.Popen(
            [RUN_LOCAL],
            env=run_local_env(tmp_path, port, **settings),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def up_or_ended() -> bool:
        if run.poll() is not None:
            return True
        worker_runs = "outbox worker running" in output.read_text()
        return worker_runs and answers(f"{url}/healthz")

    try:
        wait_for(up_or_ended, "the worker and the service")
        assert run.poll() is None, output.read_text()
        yield run, output, url
    finally:
        if not group_is_gone(run.pid):
            os.killpg(run.pid, signal.SIGKILL)
        run.wait()


def printed_command(banner: str, marker: str) -> str:
    """The command on the banner's line that holds *marker*, without its comment."""
    [line] = [line for line in banner.splitlines() if marker in line]
    return line.split("  # ")[0].strip()


def run_as_printed(command: str) -> subprocess.CompletedProcess[str]:
    """*command* typed into another terminal, in this folder."""
    return subprocess.run(
        ["bash", "-c", command],
        cwd=ROOT,
        env=another_terminal(),
        capture_output=True,
        text=True,
        timeout=PATIENCE_S,
        check=False,
    )


@pytest.mark.slow
@pytest.mark.parametrize(
    ("signum", "whole_group"),
    [
        pytest.param(signal.SIGINT, True, id="Ctrl-C in the terminal"),
        pytest.param(signal.SIGTERM, False, id="kill of the script"),
        pytest.param(signal.SIGTERM, True, id="SIGTERM to the process group"),
    ],
)
def test_make_run_stops_the_service_and_the_worker_with_status_0(
    tmp_path: Path, signum: signal.Signals, whole_group: bool
) -> None:
    with make_run(tmp_path) as (run, output, _):
        (os.killpg if whole_group else os.kill)(run.pid, signum)
        assert run.wait(timeout=PATIENCE_S) == 0, output.read_text()
        assert group_is_gone(run.pid), "a process of make run is left"


@pytest.mark.slow
def test_make_run_says_when_the_expert_desk_is_open_and_how_to_open_it(tmp_path: Path) -> None:
    with make_run(tmp_path) as (run, output, _):
        run.terminate()
        run.wait(timeout=PATIENCE_S)
    assert (
        f"Expert desk (main menu 4): open {DeskSettings.desk_hours}, Shanghai time. "
        "All day: make run DESK_HOURS=00:00-24:00\n"
    ) in output.read_text()
    assert "PROMPT_AUDIO is off: the service says every prompt, nothing to render\n" in (
        output.read_text()
    )
    assert not (tmp_path / "prompts").exists()


@pytest.mark.slow
def test_make_run_names_its_database_and_its_commands_work_as_printed(tmp_path: Path) -> None:
    with make_run(tmp_path) as (run, output, url):
        banner = output.read_text()
        call = run_as_printed(printed_command(banner, "--keys 2,11"))
        outbox = run_as_printed(printed_command(banner, "ivr sms outbox"))
        run.terminate()
        run.wait(timeout=PATIENCE_S)
    database = f"sqlite:///{tmp_path / 'hotline.db'}"
    assert f"starting on {url} (database {database}, SMS delivered locally)" in banner
    assert call.returncode == 0, call.stdout + call.stderr
    assert "hung up by caller" in call.stdout
    assert outbox.returncode == 0, outbox.stderr
    assert "to 13900139000 from 10010" in outbox.stdout  # the call's summary


@pytest.mark.slow
def test_make_run_prints_its_numbers_and_its_calls_ring_them(tmp_path: Path) -> None:
    numbers = "10010=+862150010010,1001011=+862150011011"
    with make_run(tmp_path, TWILIO_VOICE_NUMBERS=numbers, STANDIN_PORT=str(free_port())) as (
        run,
        output,
        _,
    ):
        banner = output.read_text()
        balance = run_as_printed(printed_command(banner, "ivr call 1001011"))  # hangs up at EOF
        over_sip = run_as_printed(printed_command(banner, "ivr call --sip 1001011"))
        run.terminate()
        run.wait(timeout=PATIENCE_S)
    assert f"      TWILIO_VOICE_NUMBERS={numbers}\n" in banner
    said = prompts("zh-CN")["greeting.direct"]
    for call in (balance, over_sip):
        assert call.returncode == 0, call.stdout + call.stderr
        assert said in call.stdout  # 1001011 straight away, not the 10010 menu
        assert "余额为" in call.stdout


def signed_in_agent(url: str, username: str) -> requests.Session:
    """A browser session of the agent console, signed in as the demo agent *username*."""
    console = requests.Session()
    response = console.post(
        f"{url}/desk/login",
        data={"username": username, "password": DEMO_PASSWORD, "csrf_token": csrf(console, url)},
    )
    assert response.status_code == 200, response.text
    return console


def csrf(console: requests.Session, url: str, page: str = "/desk/login") -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', console.get(url + page).text)
    assert found, f"no CSRF token on {page}"
    return found.group(1)


def press(console: requests.Session, url: str, path: str, **form: str) -> None:
    """Post a form of the console page, as its button does."""
    response = console.post(url + path, data={"csrf_token": csrf(console, url, "/desk/"), **form})
    assert response.status_code == 200, response.text


@pytest.mark.slow
def test_accept_in_the_console_connects_a_call_placed_as_the_banner_says(tmp_path: Path) -> None:
    standin_port = free_port()
    with make_run(tmp_path, STANDIN_PORT=str(standin_port), AGENT_HOURS="00:00-24:00") as (
        run,
        output,
        url,
    ):
        hint = printed_command(output.read_text(), "ivr call 1001011")
        console = signed_in_agent(url, "li.na")
        press(console, url, "/desk/status", status="available")
        # What `ivr call --standin-port --client` runs: the caller, Twilio's REST API beside
        # it, and li.na's browser phone picking up.
        network = Network(NetworkConfig(base_url=url, hold_timeout=PATIENCE_S))
        client = re.search(r"--client (agent_\d+)", hint)
        assert client is not None, hint
        network.clients.register(client.group(1), AnsweringClient(math.inf))
        with RestStandin(network, port=standin_port):
            call = network.start(
                network.inbound_spec("1001011", "+8613800138000"),
                HoldingCaller([Press("0")], talk_s=30),  # 0: an agent
            )
            offers: list[str] = []

            def offered() -> bool:
                offers.extend(
                    re.findall(r"/desk/offers/\d+/accept", console.get(url + "/desk/").text)
                )
                return bool(offers)

            wait_for(offered, "the offer in li.na's console")
            press(console, url, offers[0])
            result = call.result(timeout=PATIENCE_S)
        network.close()
        run.terminate()
        run.wait(timeout=PATIENCE_S)
    assert f"--standin-port {standin_port}" in hint
    assert f"--client {client.group(1)}" in hint  # li.na's: the first agent seeded
    assert prompts("zh-CN")["agent.connecting"] in [heard.text for heard in result.transcript]
    assert result.errors == [], result.errors
