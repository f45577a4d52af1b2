"""Callbacks are placed from a number the Twilio account owns (DESK_CALLER_ID, else the Twilio
number of 10010): Twilio refuses any other with error 21210, and every accept would fail."""

from __future__ import annotations

from pathlib import Path

import pytest

from hotline.settings import load_settings
from ivr.config import ConfigError
from tests.support.startup import refused_start

PRODUCTION = {
    "IVR_ENV": "production",
    "TWILIO_AUTH_TOKEN": "a-real-token",
    "SECRET_KEY": "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0",
    "PUBLIC_BASE_URL": "https://hotline.example",
    "DATABASE_URL": "postgresql+psycopg://hotline@db/hotline",
}


def test_by_default_callbacks_come_from_the_twilio_number_of_10010() -> None:
    mapped = {"TWILIO_VOICE_NUMBERS": "10010=+862150010010,1001011=+862150011011"}

    assert load_settings(mapped).caller_id() == "+862150010010"
    assert load_settings(PRODUCTION | mapped).caller_id() == "+862150010010"
    assert load_settings({}).caller_id() == "+862131010010"  # the demo map's, locally


def test_desk_caller_id_names_another_number_of_the_account() -> None:
    settings = load_settings({"DESK_CALLER_ID": "+86 21 5001 0099"})

    assert settings.caller_id() == "+862150010099"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("10010", r"DESK_CALLER_ID must be a number .*carrier codes such as 10010"),
        ("862150010099", r"DESK_CALLER_ID must be a number .*E\.164"),
        ("02150010099", r"DESK_CALLER_ID must be a number .*E\.164"),
        ("+8621", r"DESK_CALLER_ID must be a number"),
        ("client:desk", r"DESK_CALLER_ID must be a number"),
    ],
)
def test_a_caller_id_twilio_would_refuse_stops_the_start(value: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_settings({"DESK_CALLER_ID": value})


@pytest.mark.parametrize(
    "environ",
    [
        PRODUCTION,  # no demo map in production
        {"TWILIO_VOICE_NUMBERS": "1001011=+862150011011"},  # a map without 10010
    ],
)
def test_without_a_number_for_10010_desk_caller_id_is_needed(environ: dict[str, str]) -> None:
    with pytest.raises(ConfigError, match="DESK_CALLER_ID is needed"):
        load_settings(environ)

    assert load_settings(environ | {"DESK_CALLER_ID": "+862150010099"}).caller_id() == (
        "+862150010099"
    )


@pytest.mark.parametrize("command", [["worker", "--once"], ["serve", "--prod"]])
def test_the_worker_and_the_server_stop_at_start_naming_it(
    command: list[str], tmp_path: Path
) -> None:
    output = refused_start(command, {"DESK_CALLER_ID": "10010"}, tmp_path)

    assert "configuration: DESK_CALLER_ID must be a number the Twilio account owns" in output
