"""Behind nginx (PROXY_HOPS=1) the desk's per-address login limit counts each client by the
address nginx forwards, not nginx's own; /healthz and /metrics say when SMS sending is
paused because the provider refused the credentials."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from expert_desk import agents
from expert_desk.demo import DEMO_PASSWORD
from hotline.container import Hotline
from ivr.db import transaction
from sms_followup import pause
from tests.support.console import token
from tests.support.desk import OPEN_ALL_DAY

NGINX = "127.0.0.1"


def _login_via_nginx(
    app: Flask, client_address: str, password: str, username: str = "li.na"
) -> int:
    client: FlaskClient = app.test_client()
    client.environ_base["REMOTE_ADDR"] = NGINX
    client.environ_base["HTTP_X_FORWARDED_FOR"] = client_address
    answer = client.post(
        "/desk/login",
        data={"username": username, "password": password, "csrf_token": token(client)},
    )
    return answer.status_code


@pytest.mark.parametrize("settings_overrides", [{**OPEN_ALL_DAY, "proxy_hops": 1}])
def test_one_guessing_client_behind_nginx_does_not_lock_out_the_others(app: Flask) -> None:
    for n in range(agents.PER_ADDRESS_FAILURES):
        _login_via_nginx(app, "203.0.113.7", "wrong-password", f"nobody{n}")

    assert _login_via_nginx(app, "203.0.113.7", DEMO_PASSWORD) == 429
    assert _login_via_nginx(app, "198.51.100.2", DEMO_PASSWORD) == 302


@pytest.mark.parametrize("settings_overrides", [{**OPEN_ALL_DAY, "proxy_hops": 0}])
def test_without_proxy_hops_a_forwarded_address_is_not_believed(app: Flask) -> None:
    for n in range(agents.PER_ADDRESS_FAILURES):
        _login_via_nginx(app, "203.0.113.7", "wrong-password", f"nobody{n}")

    assert _login_via_nginx(app, "198.51.100.2", DEMO_PASSWORD) == 429  # all are nginx


def test_healthz_and_metrics_say_when_sms_sending_is_paused(
    client: FlaskClient, hotline: Hotline
) -> None:
    assert client.get("/healthz").get_json() == {"status": "ok", "database": "up"}
    with transaction(hotline.sessions) as session:
        pause.pause(session, hotline.clock.now(), pause.ACCOUNT, "HTTP 401 20003: Authenticate")

    health: Any = client.get("/healthz")
    metrics = client.get("/metrics").get_data(as_text=True)

    assert health.status_code == 200
    assert health.get_json()["status"] == "degraded"
    assert health.get_json()["sms"].startswith("paused since ")
    assert health.get_json()["sms"].endswith(": HTTP 401 20003: Authenticate")
    assert "hotline_sms_sending_paused 1.0" in metrics.splitlines()
