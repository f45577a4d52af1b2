"""The agents' browser phone, the service's side (issue 23 item 4): the identity calls ring,
the access token the console hands out, the settings, and the refusal to run agents whose
phone cannot ring. The browser itself: test_desk_browser_phone.py."""

from __future__ import annotations

import datetime as dt
import logging
import re
from pathlib import Path
from typing import Any

import jwt
import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient

from app import create_app
from expert_desk import agents, phone, progress, queue
from expert_desk.desk import Desk
from expert_desk.models import DeskAgent
from hotline.cli import main
from hotline.settings import load_settings
from ivr.config import LOCAL_ACCOUNT_SID, ConfigError
from tests.support.clocks import TestClock
from tests.support.console import login, token
from tests.support.desk import add_agent, db, waiting_caller
from tests.support.paths import ROOT
from tests.support.signalling import API_KEY, API_SECRET, TWIML_APP

PHONE = {
    "twilio_api_key": API_KEY,
    "twilio_api_secret": API_SECRET,
    "twilio_twiml_app_sid": TWIML_APP,
}
TWILIO_ACCOUNT = "AC" + "7" * 32  # a Twilio account: not the local simulator's
NUMBER = "+8613912345678"
STATIC = ROOT / "expert_desk" / "static"
LICENCE = ROOT / "expert_desk/static/twilio-voice-sdk.LICENSE.md"


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {**PHONE, "desk_phone_token_ttl_s": 600}


def _token(client: FlaskClient) -> Any:
    return client.post("/desk/phone/token", headers={"X-CSRFToken": token(client, "/desk/")})


def _agent_id(desk: Desk, username: str) -> int:
    with desk.sessions() as session:
        found = session.scalar(DeskAgent.by_username(username))
        assert found is not None
        return found.id


# -- who calls ring ------------------------------------------------------------------------


def _ring_target(desk: Desk, agent_id: int) -> str:
    """What a call the agent accepts dials."""
    desk_call_id = waiting_caller(desk, "ios", at=desk.now())
    with db(desk) as session:
        desk_call = queue.locked(session, desk_call_id)
        assert desk_call is not None
        desk_call.status, desk_call.agent_id = "connecting", agent_id
        leg = progress.connected(session, desk_call_id, desk_call.call_sid, desk.now())
        assert leg is not None
        return leg.to


def test_calls_ring_the_agents_browser_phone_by_an_identity_mobile_sdks_accept_too(
    desk: Desk,
) -> None:
    li_na = _agent_id(desk, "li.na")  # a '.': not a valid client identity
    assert _ring_target(desk, li_na) == f"client:agent_{li_na}"
    assert re.fullmatch(r"[A-Za-z0-9_]+", phone.identity(li_na))


def test_an_agent_with_a_phone_number_keeps_taking_calls_on_it(desk: Desk) -> None:
    with_number = add_agent(desk, "wang.fang", {"ios": 3}, phone=NUMBER, at=desk.now())
    assert _ring_target(desk, with_number) == NUMBER


def test_an_agent_created_with_a_client_name_before_the_browser_phone_rings_it(
    desk: Desk,
) -> None:
    older = add_agent(desk, "zhao.lei", {"ios": 3}, at=desk.now())
    with db(desk) as session:
        agent = session.get(DeskAgent, older)
        assert agent is not None
        agent.phone = "client:zhao.lei"  # what agents got before
    assert _ring_target(desk, older) == f"client:agent_{older}"


def test_a_client_name_is_no_phone_an_operator_can_give(desk: Desk) -> None:
    with db(desk) as session, pytest.raises(agents.InvalidInput, match="browser phone"):
        agents.create_agent(
            session, "qian.li", "a long password", phone="client:qian", now=desk.now()
        )


# -- the access token ------------------------------------------------------------------------


def test_a_signed_in_agent_gets_a_short_lived_token_for_their_browser_phone(
    client: FlaskClient, desk: Desk, clock: TestClock, caplog: pytest.LogCaptureFixture
) -> None:
    login(client, "li.na")
    caplog.set_level(logging.INFO)
    before = int(clock.now().replace(tzinfo=dt.UTC).timestamp())
    response = _token(client)
    after = int(clock.now().replace(tzinfo=dt.UTC).timestamp())

    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    body = response.get_json()
    li_na = _agent_id(desk, "li.na")
    assert (body["identity"], body["ttl_s"]) == (f"agent_{li_na}", 600)
    assert jwt.get_unverified_header(body["token"])["cty"] == "twilio-fpa;v=1"
    # The test clock is years ahead: the token is checked against it, not the machine's.
    claims = jwt.decode(
        body["token"],
        API_SECRET,
        algorithms=["HS256"],
        options={"verify_exp": False, "verify_nbf": False},
    )
    assert claims["grants"] == {
        "identity": f"agent_{li_na}",
        "voice": {"incoming": {"allow": True}, "outgoing": {"application_sid": TWIML_APP}},
    }
    assert (claims["iss"], claims["sub"]) == (API_KEY, LOCAL_ACCOUNT_SID)
    assert before <= claims["nbf"] <= after
    assert claims["exp"] == claims["nbf"] + 600
    logged = [r for r in caplog.records if r.getMessage() == "desk.phone_token"]
    assert [(r.identity, r.agent) for r in logged] == [(f"agent_{li_na}", li_na)]  # type: ignore[attr-defined]
    assert body["token"] not in caplog.text


def test_the_token_needs_a_csrf_token_and_a_signed_in_agent(client: FlaskClient) -> None:
    assert client.post("/desk/phone/token").status_code == 400  # no CSRF token
    anonymous = {"X-CSRFToken": token(client)}  # the sign-in page's
    assert client.post("/desk/phone/token", headers=anonymous).status_code == 401


def test_an_agent_with_a_phone_number_has_no_browser_phone(client: FlaskClient, desk: Desk) -> None:
    with db(desk) as session:
        agents.create_agent(
            session, "wang.fang", "a long password", phone=NUMBER, skills={"ios": 3}, now=desk.now()
        )
    login(client, "wang.fang", "a long password")

    assert 'id="phone"' not in client.get("/desk/").get_data(as_text=True)
    refused = _token(client)
    assert refused.status_code == 409
    assert refused.get_json()["error"] == "Your calls ring your phone number, not this browser."


def test_the_console_carries_the_phone_and_lets_it_reach_twilio_and_the_microphone(
    client: FlaskClient,
) -> None:
    login(client, "li.na")
    page = client.get("/desk/")
    html = page.get_data(as_text=True)

    assert 'data-token-url="/desk/phone/token"' in html
    assert (
        f'src="/desk/static/{phone.SDK_BUNDLE}"' in html and 'src="/desk/static/phone.js"' in html
    )
    connect = re.search(r"connect-src ([^;]+)", page.headers["Content-Security-Policy"])
    assert (
        connect is not None and connect.group(1) == "'self' wss://*.twilio.com https://*.twilio.com"
    )
    assert "microphone=(self)" in page.headers["Permissions-Policy"]


@pytest.mark.parametrize("settings_overrides", [{}])
def test_without_the_browser_phone_the_console_says_how_a_local_call_is_answered(
    client: FlaskClient, desk: Desk
) -> None:
    login(client, "li.na")
    html = client.get("/desk/").get_data(as_text=True)

    assert 'data-state="not-set-up"' in html and "data-token-url" not in html
    assert f"--client agent_{_agent_id(desk, 'li.na')}" in html
    refused = _token(client)
    assert refused.status_code == 409
    assert (
        "TWILIO_API_KEY, TWILIO_API_SECRET and TWILIO_TWIML_APP_SID" in refused.get_json()["error"]
    )


def test_the_vendored_voice_sdk_is_the_version_named_and_carries_its_licence() -> None:
    version = re.fullmatch(r"twilio-voice-sdk-(\d+\.\d+\.\d+)\.min\.js", phone.SDK_BUNDLE)
    assert version is not None
    bundle = (STATIC / phone.SDK_BUNDLE).read_text(encoding="utf-8")
    assert f'RELEASE_VERSION="{version.group(1)}"' in bundle
    assert "Apache License" in LICENCE.read_text(encoding="utf-8")
    assert "twilio.com" not in (STATIC / "phone.js").read_text(encoding="utf-8")  # no CDN


# -- a phone that cannot ring is refused -----------------------------------------------------


def _config(database_url: str, tmp_path: Path, **overrides: Any) -> dict[str, Any]:
    return {
        "env": "test",
        "database_url": database_url,
        "public_base_url": "http://hotline.test",
        "prompt_audio": False,
        "prompt_audio_dir": str(tmp_path / "prompts"),
        **overrides,
    }


@pytest.mark.parametrize("settings_overrides", [{}])
def test_on_twilio_the_service_refuses_to_start_while_its_agents_phones_cannot_ring(
    app: Flask, database_url: str, tmp_path: Path
) -> None:
    on_twilio = _config(database_url, tmp_path, twilio_account_sid=TWILIO_ACCOUNT)

    with pytest.raises(ConfigError) as refused:
        create_app(on_twilio)
    assert "agents chen.jing, li.na, zhang.wei take calls in the console" in str(refused.value)
    assert "set TWILIO_API_KEY, TWILIO_API_SECRET and TWILIO_TWIML_APP_SID" in str(refused.value)

    started = create_app({**on_twilio, **PHONE})
    started.extensions["hotline"].db.dispose()


@pytest.mark.parametrize("settings_overrides", [{}])
def test_on_twilio_agents_with_phone_numbers_need_no_browser_phone(
    app: Flask, desk: Desk, database_url: str, tmp_path: Path
) -> None:
    with db(desk) as session:
        for agent in session.query(DeskAgent):
            agent.phone = NUMBER

    started = create_app(_config(database_url, tmp_path, twilio_account_sid=TWILIO_ACCOUNT))
    started.extensions["hotline"].db.dispose()


@pytest.mark.parametrize("settings_overrides", [{}])
def test_agents_add_refuses_an_agent_whose_phone_cannot_ring_and_says_what_to_set(
    app: Flask, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", TWILIO_ACCOUNT)
    add = ["agents", "add", "wu.lei", "--skill", "android:2", "--password-stdin"]

    refused = CliRunner().invoke(main, add, input="correct horse battery\n")
    assert refused.exit_code != 0
    assert "calls to wu.lei would ring the browser phone in the console" in refused.output
    assert "set TWILIO_API_KEY, TWILIO_API_SECRET and TWILIO_TWIML_APP_SID" in refused.output
    assert "--phone" in refused.output

    added = CliRunner().invoke(main, [*add, "--phone", NUMBER], input="correct horse battery\n")
    assert added.exit_code == 0, added.output
    assert f"calls ring {NUMBER}" in added.output


# -- settings --------------------------------------------------------------------------------

ENVIRONMENT = {
    "TWILIO_API_KEY": API_KEY,
    "TWILIO_API_SECRET": API_SECRET,
    "TWILIO_TWIML_APP_SID": TWIML_APP,
}


def test_the_three_settings_of_the_browser_phone_make_it_ready() -> None:
    assert load_settings(ENVIRONMENT).browser_phone
    assert not load_settings({}).browser_phone


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"TWILIO_API_SECRET": ""}, "the browser phone needs TWILIO_API_SECRET too"),
        (
            {"TWILIO_API_KEY": "", "TWILIO_TWIML_APP_SID": ""},
            "needs TWILIO_API_KEY and TWILIO_TWIML_APP_SID too",
        ),
        ({"TWILIO_API_KEY": "SK123"}, "TWILIO_API_KEY must be the SID of an API key"),
        ({"TWILIO_API_SECRET": "short"}, "TWILIO_API_SECRET must be the API key's secret"),
        ({"TWILIO_API_KEY": "AC" + "5" * 32}, "TWILIO_API_KEY must be the SID of an API key"),
        (
            {"TWILIO_TWIML_APP_SID": "AP-demo"},
            "TWILIO_TWIML_APP_SID must be the SID of a TwiML App",
        ),
        ({"DESK_PHONE_TOKEN_TTL_S": "5"}, "DESK_PHONE_TOKEN_TTL_S must be 10 to 86400 seconds"),
        ({"DESK_PHONE_TOKEN_TTL_S": "86401"}, "DESK_PHONE_TOKEN_TTL_S must be 10 to 86400"),
        ({"TWILIO_SIGNALLING_HOST": "wss://x/signal"}, "TWILIO_SIGNALLING_HOST must be HOST"),
    ],
)
def test_a_browser_phone_that_cannot_work_is_refused_naming_the_variable(
    change: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_settings({**ENVIRONMENT, **change})


def test_production_refuses_a_stand_in_for_twilios_signalling() -> None:
    production = {
        "IVR_ENV": "production",
        "TWILIO_AUTH_TOKEN": "a-real-token",
        "SECRET_KEY": "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0",
        "PUBLIC_BASE_URL": "https://hotline.example",
        "DATABASE_URL": "postgresql+psycopg://hotline@db/hotline",
        "TWILIO_VOICE_NUMBERS": "10010=+862150010010",
        **ENVIRONMENT,
    }
    assert load_settings(production).browser_phone
    with pytest.raises(ConfigError, match=r"TWILIO_SIGNALLING_HOST .* unset it in production"):
        load_settings({**production, "TWILIO_SIGNALLING_HOST": "127.0.0.1:8443"})
