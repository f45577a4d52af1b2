"""Console login throttling (issue 13): per client address and for everyone together
(429 with Retry-After, counted in the database so that every app process agrees), and a
growing per-account delay instead of a lock that a stranger could hold an agent in."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from expert_desk import agents
from expert_desk.demo import DEMO_PASSWORD
from tests.support.clocks import TestClock
from tests.support.console import token
from tests.support.desk import OPEN_ALL_DAY, STILL_AT_T0

pytestmark = STILL_AT_T0


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return OPEN_ALL_DAY


def _from(app: Flask, address: str) -> FlaskClient:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def _login(client: FlaskClient, username: str, password: str = "wrong-password") -> Any:
    return client.post(
        "/desk/login",
        data={"username": username, "password": password, "csrf_token": token(client)},
    )


def test_one_address_trying_many_names_is_throttled(app: Flask, clock: TestClock) -> None:
    guesser = _from(app, "203.0.113.7")
    for n in range(agents.PER_ADDRESS_FAILURES):
        assert _login(guesser, f"nobody{n}").status_code == 401

    refused = _login(guesser, "li.na", DEMO_PASSWORD)  # even the right password

    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == str(int(agents.PER_ADDRESS_WINDOW.total_seconds()))
    assert _login(_from(app, "198.51.100.2"), "li.na", DEMO_PASSWORD).status_code == 302
    clock.advance(agents.PER_ADDRESS_WINDOW.total_seconds())
    assert _login(guesser, "li.na", DEMO_PASSWORD).status_code == 302


def test_password_spraying_from_one_address_is_throttled(app: Flask) -> None:
    sprayer = _from(app, "203.0.113.8")
    statuses = [
        _login(sprayer, name).status_code
        for name in ("li.na", "zhang.wei", "chen.jing")
        for _ in range(4)
    ]

    assert statuses[: agents.PER_ADDRESS_FAILURES] == [401] * agents.PER_ADDRESS_FAILURES
    assert set(statuses[agents.PER_ADDRESS_FAILURES :]) == {429}


def test_many_addresses_together_are_throttled(
    app: Flask, clock: TestClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(agents, "GLOBAL_FAILURES", 5)
    for n in range(5):
        clock.advance(1)
        assert _login(_from(app, f"192.0.2.{n}"), f"nobody{n}").status_code == 401

    refused = _login(_from(app, "192.0.2.99"), "li.na", DEMO_PASSWORD)

    assert refused.status_code == 429
    # The oldest of the five leaves the one-minute window 56 s from now.
    assert refused.headers["Retry-After"] == "56"
    clock.advance(56)
    assert _login(_from(app, "192.0.2.99"), "li.na", DEMO_PASSWORD).status_code == 302


def test_the_account_delay_grows_and_is_never_a_lock(app: Flask, clock: TestClock) -> None:
    # Strangers on many addresses, so that no address throttle applies.
    for n in range(agents.FREE_FAILED_LOGINS):
        assert _login(_from(app, f"198.51.100.{n}"), "li.na").status_code == 401
    owner = _from(app, "10.0.0.1")
    assert _login(owner, "li.na", DEMO_PASSWORD).status_code == 302  # no delay yet

    for n in range(12):
        _login(_from(app, f"198.51.100.{n}"), "li.na")
        clock.advance(agents.MAX_LOGIN_DELAY.total_seconds())
    assert _login(_from(app, "10.0.0.2"), "li.na", DEMO_PASSWORD).status_code == 302


def test_the_delay_doubles_up_to_a_minute() -> None:
    delays = [agents.login_delay(n).total_seconds() for n in range(1, 14)]
    assert delays == [0, 0, 0, 0, 1, 2, 4, 8, 16, 32, 60, 60, 60]


def test_a_delayed_account_takes_the_right_password_once_the_delay_is_over(
    app: Flask, clock: TestClock
) -> None:
    for n in range(agents.FREE_FAILED_LOGINS + 2):  # delay 2 s after the sixth
        _login(_from(app, f"198.51.100.{n}"), "li.na")
    owner = _from(app, "10.0.0.1")

    assert _login(owner, "li.na", DEMO_PASSWORD).status_code == 401
    clock.advance(2)
    assert _login(owner, "li.na", DEMO_PASSWORD).status_code == 302


def test_old_failures_are_forgotten(app: Flask, clock: TestClock) -> None:
    from expert_desk.models import DeskLoginFailure

    _login(_from(app, "203.0.113.9"), "nobody")
    clock.advance((agents.PER_ADDRESS_WINDOW + dt.timedelta(seconds=1)).total_seconds())
    _login(_from(app, "203.0.113.9"), "nobody")
    with app.extensions["hotline"].sessions() as session:
        assert session.query(DeskLoginFailure).count() == 1
