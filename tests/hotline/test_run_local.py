"""`make run` (scripts/run-local) as a new user meets it (issue 11): a port already in use is
said plainly before anything is set up, the banner tells when the expert desk is open, and
Ctrl-C or SIGTERM stops the service and the SMS worker with exit status 0.

The script runs with prompt audio off (``PROMPT_AUDIO=0``): it then renders nothing, which
these tests do not need (the first render of every prompt takes a minute on two cores)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner

from expert_desk.settings import DeskSettings
from hotline.cli import main
from tests.support.live import free_port
from tests.support.paths import ROOT
from tests.support.polling import PATIENCE_S, wait_for

RUN_LOCAL = ROOT / "scripts" / "run-local"


def run_local_env(tmp_path: Path, port: int) -> dict[str, str]:
    """The environment of a `make run` whose files all live in *tmp_path*, with prompt audio
    off."""
    env = {k: v for k, v in os.environ.items() if k not in {"HOST", "PUBLIC_BASE_URL"}}
    return env | {
        "PORT": str(port),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'hotline.db'}",
        "PROMPT_AUDIO": "0",
        "PROMPT_AUDIO_DIR": str(tmp_path / "prompts"),  # where audio would go: never made
        "DESK_HOURS": "",
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
def make_run(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], Path]]:
    """scripts/run-local, once the worker runs and the service answers; and its output file.

    In a session of its own, whose process group is what a terminal signals on Ctrl-C.
    Whatever of it is left at the end is killed.
    """
    port = free_port()
    output = tmp_path / "run-local.log"
    with output.open("w") as log:
        run = subprocess.Popen(
            [RUN_LOCAL],
            env=run_local_env(tmp_path, port),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def up_or_ended() -> bool:
        if run.poll() is not None:
            return True
        worker_runs = "outbox worker running" in output.read_text()
        return worker_runs and answers(f"http://127.0.0.1:{port}/healthz")

    try:
        wait_for(up_or_ended, "the worker and the service")
        assert run.poll() is None, output.read_text()
        yield run, output
    finally:
        if not group_is_gone(run.pid):
            os.killpg(run.pid, signal.SIGKILL)
        run.wait()


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
    with make_run(tmp_path) as (run, output):
        (os.killpg if whole_group else os.kill)(run.pid, signum)
        assert run.wait(timeout=PATIENCE_S) == 0, output.read_text()
        assert group_is_gone(run.pid), "a process of make run is left"


@pytest.mark.slow
def test_make_run_says_when_the_expert_desk_is_open_and_how_to_open_it(tmp_path: Path) -> None:
    with make_run(tmp_path) as (run, output):
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
