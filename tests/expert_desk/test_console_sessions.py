"""Console sessions end on the server (issue 13): a cookie copied before sign-out, a
password change or a supervisor's sign-out no longer works."""

from __future__ import annotations

from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient

from expert_desk.agents import set_password
from expert_desk.desk import Desk
from expert_desk.models import DeskAgent
from hotline.cli import main
from tests.support.console import login, post
from tests.support.desk import OPEN_ALL_DAY, STILL_AT_T0, db, use_test_doubles

pytestmark = STILL_AT_T0


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return OPEN_ALL_DAY


@pytest.fixture
def desk(app: Flask) -> Desk:
    return use_test_doubles(app)[0]


def _copy(app: Flask, client: FlaskClient) -> FlaskClient:
    """Another browser holding a copy of *client*'s session cookie."""
    cookie = client.get_cookie("session")
    assert cookie is not None
    thief = app.test_client()
    thief.set_cookie("session", cookie.value)
    return thief


def _status(desk: Desk, username: str) -> str:
    with desk.sessions() as session:
        found = session.scalar(DeskAgent.by_username(username))
        assert found is not None
        return found.status


def test_a_cookie_copied_before_sign_out_no_longer_works(app: Flask, client: FlaskClient) -> None:
    login(client)
    copy = _copy(app, client)
    assert copy.get("/desk/").status_code == 200

    assert post(client, "/desk/logout").status_code == 302

    assert copy.get("/desk/").status_code == 302
    assert copy.get("/desk/live").status_code == 401
    assert client.get("/desk/").status_code == 302


def test_a_password_change_ends_a_copied_session(
    app: Flask, client: FlaskClient, desk: Desk
) -> None:
    login(client)
    copy = _copy(app, client)
    with db(desk) as session:
        found = session.scalar(DeskAgent.by_username("li.na"))
        assert found is not None
        set_password(found, "a-brand-new-password")

    assert copy.get("/desk/").status_code == 302


def test_a_supervisor_signs_an_agent_out_everywhere(
    app: Flask, client: FlaskClient, desk: Desk
) -> None:
    login(client)
    post(client, "/desk/status", status="available")
    supervisor = app.test_client()
    login(supervisor, "chen.jing")
    page = supervisor.get("/desk/supervisor").get_data(as_text=True)
    assert 'action="/desk/supervisor/agents/li.na/signout"' in page

    done = post(supervisor, "/desk/supervisor/agents/li.na/signout")

    assert done.status_code == 302 and done.headers["Location"] == "/desk/supervisor"
    assert client.get("/desk/").status_code == 302
    assert _status(desk, "li.na") == "offline"
    assert supervisor.get("/desk/supervisor").status_code == 200


def test_only_a_supervisor_may_sign_others_out(client: FlaskClient, desk: Desk) -> None:
    login(client)
    assert post(client, "/desk/supervisor/agents/zhang.wei/signout").status_code == 403


def test_signing_out_an_unknown_agent_is_not_found(app: Flask) -> None:
    supervisor = app.test_client()
    login(supervisor, "chen.jing")
    assert post(supervisor, "/desk/supervisor/agents/nobody/signout").status_code == 404


def test_the_cli_signs_an_agent_out_everywhere(
    app: Flask,
    client: FlaskClient,
    desk: Desk,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    login(client)

    result = CliRunner().invoke(main, ["agents", "signout", "li.na"])

    assert result.exit_code == 0, result.output
    assert "li.na signed out everywhere" in result.output
    assert client.get("/desk/").status_code == 302
    missing = CliRunner().invoke(main, ["agents", "signout", "nobody"])
    assert missing.exit_code != 0 and "no agent nobody" in missing.output
