"""The web console: login with hashed passwords, sessions, CSRF, security headers, escaping
of caller text, taking a call, notes and SMS, the supervisor's views, metrics, the CLI."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient

from expert_desk.demo import DEMO_PASSWORD
from expert_desk.desk import Desk
from expert_desk.models import DeskAgent, DeskWrapup
from hotline.cli import main
from sms_followup.models import OutboxMessage
from tests.support.clocks import TestClock
from tests.support.console import login, post
from tests.support.desk import (
    OPEN_ALL_DAY,
    STILL_AT_T0,
    FakeTelephony,
    agent,
    db,
    desk_call,
    events,
    waiting_caller,
)

XSS = '<script>window.__xss=1</script><img src=x onerror="window.__xss=2">'

pytestmark = STILL_AT_T0


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return OPEN_ALL_DAY


def agent_id(desk: Desk, username: str) -> int:
    with desk.sessions() as session:
        found = session.scalar(DeskAgent.by_username(username))
        assert found is not None
        return found.id


def test_the_console_needs_a_login(client: FlaskClient) -> None:
    response = client.get("/desk/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/desk/login")
    assert client.get("/desk/live").status_code == 401
    assert client.get("/desk/supervisor").status_code == 302


def test_passwords_are_stored_hashed(desk: Desk) -> None:
    with desk.sessions() as session:
        hashes = session.scalars(sa.select(DeskAgent.password_hash)).all()
    assert hashes and all(h.startswith("scrypt:") for h in hashes)
    assert all(DEMO_PASSWORD not in h for h in hashes)


def test_login_with_the_right_password_opens_the_console(client: FlaskClient) -> None:
    response = login(client)

    assert response.status_code == 302 and response.headers["Location"] == "/desk/"
    page = client.get("/desk/").get_data(as_text=True)
    assert "李娜 Li Na" in page
    assert "Available" in page


def test_a_wrong_password_is_refused_and_five_lock_the_account(client: FlaskClient) -> None:
    for _ in range(5):
        assert login(client, password="wrong-password").status_code == 401

    assert login(client).status_code == 401  # locked for a few minutes, even the right one


def test_posts_without_a_csrf_token_are_refused(client: FlaskClient) -> None:
    refused = client.post("/desk/login", data={"username": "li.na", "password": DEMO_PASSWORD})
    assert refused.status_code == 400

    login(client)
    assert client.post("/desk/status", data={"status": "available"}).status_code == 400


def test_twilio_webhooks_need_no_csrf_token(twilio: Any) -> None:
    response = twilio.post("/voice/incoming", _incoming())
    assert response.status_code == 200


def test_console_responses_carry_security_headers(client: FlaskClient) -> None:
    response = client.get("/desk/login")

    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Cache-Control"] == "no-store"


def test_the_session_cookie_is_httponly_and_samesite(client: FlaskClient) -> None:
    response = login(client)

    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_a_new_password_ends_open_sessions(client: FlaskClient, desk: Desk) -> None:
    from expert_desk.agents import set_password

    login(client)
    with db(desk) as session:
        found = session.scalar(DeskAgent.by_username("li.na"))
        assert found is not None
        set_password(found, "a-brand-new-password")

    assert client.get("/desk/").status_code == 302


def test_caller_text_is_escaped_in_the_console(client: FlaskClient, desk: Desk) -> None:
    waiting_caller(desk, "ios", transcript=XSS)
    login(client)

    for path in ("/desk/", "/desk/live"):
        html = client.get(path).get_data(as_text=True)
        assert "<script>window.__xss" not in html
        assert "&lt;script&gt;window.__xss=1&lt;/script&gt;" in html
        assert "<img src=x" not in html


def test_going_available_brings_the_offer_and_accepting_connects_the_call(
    client: FlaskClient, desk: Desk, doubles: tuple[Desk, TestClock, FakeTelephony]
) -> None:
    _, clock, telephony = doubles
    caller = waiting_caller(desk, "ios", transcript="iPhone 连不上 WiFi", at=clock.now())
    login(client)

    post(client, "/desk/status", status="available")
    live = client.get("/desk/live").get_data(as_text=True)
    assert 'id="offer"' in live and "iPhone 连不上 WiFi" in live
    offer = re.search(r"/desk/offers/(\d+)/accept", live)
    assert offer

    response = post(client, f"/desk/offers/{offer.group(1)}/accept")

    assert response.status_code == 302
    assert telephony.redirects == [(desk_call(desk, caller).call_sid, caller)]
    page = client.get("/desk/").get_data(as_text=True)
    assert 'id="current-call"' in page
    assert agent(desk, agent_id(desk, "li.na")).state == "on_call"


def test_a_failed_accept_is_shown_in_words_and_not_counted_as_answered(
    client: FlaskClient, desk: Desk, doubles: tuple[Desk, TestClock, FakeTelephony]
) -> None:
    from expert_desk import reports
    from expert_desk.errors import TelephonyFailed
    from ivr.clock import local_date

    class Refused(TelephonyFailed):
        def __init__(self) -> None:
            super().__init__("ConnectionError: HTTPSConnectionPool(host='api.twilio.com')")

    doubles[2].fail = Refused
    waiting_caller(desk, "ios")
    login(client)
    post(client, "/desk/status", status="available")
    offer = re.search(r"/desk/offers/(\d+)/accept", client.get("/desk/live").get_data(as_text=True))
    assert offer

    post(client, f"/desk/offers/{offer.group(1)}/accept")

    page = client.get("/desk/").get_data(as_text=True)
    assert TelephonyFailed.text in page
    assert "ConnectionError" not in page and "HTTPSConnectionPool" not in page
    assert "Answered today: 0" in client.get("/desk/live").get_data(as_text=True)
    with desk.sessions() as session:
        [ios] = [
            line
            for line in reports.day_report(session, local_date(desk.now()), 20)
            if line.skill == "ios"
        ]
    assert (ios.answered, ios.wait_total_s) == (0, 0)


@pytest.mark.postgres
def test_notes_a_disposition_and_an_sms_are_saved_after_the_call(
    client: FlaskClient, desk: Desk, doubles: tuple[Desk, TestClock, FakeTelephony]
) -> None:
    from expert_desk import progress

    _, clock, _ = doubles
    caller = waiting_caller(desk, "ios", at=clock.now())
    login(client)
    post(client, "/desk/status", status="available")
    offer = re.search(r"/desk/offers/(\d+)/accept", client.get("/desk/live").get_data(as_text=True))
    assert offer
    post(client, f"/desk/offers/{offer.group(1)}/accept")
    with db(desk) as session:
        progress.connected(session, caller, desk_call(desk, caller).call_sid, clock.now())
        progress.dial_ended(session, desk.settings, caller, "completed", 180, clock.now())

    post(
        client,
        f"/desk/calls/{caller}/wrapup",
        notes="Turned Wi-Fi assist off",
        disposition="solved",
        send_sms="1",
        sms_body="设置 > 无线局域网 > 关闭无线局域网助理",
    )

    with desk.sessions() as session:
        wrapup = session.scalar(sa.select(DeskWrapup))
        assert wrapup is not None
        assert (wrapup.notes, wrapup.disposition) == ("Turned Wi-Fi assist off", "solved")
        sms = session.scalar(
            sa.select(OutboxMessage).where(OutboxMessage.kind == "service.desk_steps")
        )
        assert sms is not None
        assert (sms.to_number, sms.status) == ("13800138000", "pending")
        # The agent's steps, after the sender's signature if the outbox adds one (【中国联通】).
        assert sms.body.endswith("设置 > 无线局域网 > 关闭无线局域网助理")
    assert agent(desk, agent_id(desk, "li.na")).state == "idle"
    assert [e.kind for e in events(desk)][-3:] == ["disposition", "sms_queued", "wrapup_ended"]


def test_an_agent_cannot_write_notes_on_someone_elses_call(client: FlaskClient, desk: Desk) -> None:
    caller = waiting_caller(desk, "ios")
    login(client)

    post(client, f"/desk/calls/{caller}/wrapup", notes="x", disposition="solved")

    assert "[not_your_call]" in client.get("/desk/").get_data(as_text=True)


def test_agents_cannot_open_the_supervisor_view(client: FlaskClient) -> None:
    login(client)
    assert client.get("/desk/supervisor").status_code == 403
    assert client.get("/desk/supervisor/report.csv").status_code == 403


@pytest.mark.postgres
def test_the_supervisor_sees_each_line_and_the_agents(client: FlaskClient, desk: Desk) -> None:
    waiting_caller(desk, "ios")
    waiting_caller(desk, "apps")
    login(client, "chen.jing")

    html = client.get("/desk/supervisor/live").get_data(as_text=True)

    assert re.search(r'data-skill="ios">.*?<td class="waiting">1</td>', html, re.S)
    assert '<th id="total-waiting">2</th>' in html
    assert 'data-agent="zhang.wei"' in html


def test_the_day_report_downloads_as_csv(client: FlaskClient, desk: Desk) -> None:
    waiting_caller(desk, "ios")
    login(client, "chen.jing")

    response = client.get("/desk/supervisor/report.csv?day=2026-11-26")

    assert response.mimetype == "text/csv"
    lines = response.get_data(as_text=True).splitlines()
    assert lines[0].startswith("day,skill,entered,answered,answered_within_target,abandoned")
    assert lines[2].startswith("2026-11-26,ios,1,0,0,0")
    assert lines[-1].startswith("2026-11-26,all,1,")


@pytest.mark.postgres
def test_metrics_report_the_lines_for_prometheus(client: FlaskClient, desk: Desk) -> None:
    waiting_caller(desk, "ios")

    text = client.get("/metrics").get_data(as_text=True)

    assert 'desk_callers_waiting{skill="ios"} 1.0' in text
    assert 'desk_queue_events_total{kind="entered",skill="ios"} 1.0' in text
    assert 'desk_agents{skill="general",state="offline"} 3.0' in text


# -- the command line ----------------------------------------------------------------------


@pytest.fixture
def cli(app: Flask, database_url: str, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("DESK_HOURS", "00:00-24:00")
    return CliRunner()


def test_agents_add_hashes_the_password_from_stdin_and_lists_the_agent(
    cli: CliRunner, desk: Desk
) -> None:
    added = cli.invoke(
        main,
        [
            "agents",
            "add",
            "wu.fang",
            "--skill",
            "settings:3",
            "--skill",
            "ios:2",
            "--password-stdin",
        ],
        input="correct horse battery\n",
    )
    assert added.exit_code == 0, added.output
    with desk.sessions() as session:
        found = session.scalar(DeskAgent.by_username("wu.fang"))
        assert found is not None and found.password_hash.startswith("scrypt:")
    ring = f"client:agent_{found.id}"  # the browser phone: no '.' in a client identity
    assert f"calls ring {ring}" in added.output

    listed = cli.invoke(main, ["agents", "list"])
    assert re.search(rf"wu\.fang\s+offline\s+idle\s+ios:2,settings:3\s+{ring}\n", listed.output)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--skill", "piano:3"], "unknown skill 'piano'"),
        (["--skill", "ios:9"], "skill level must be 1-5"),
        (["--skill", "ios:2"], "at least 8 characters"),
    ],
)
def test_agents_add_refuses_what_cannot_work(
    cli: CliRunner, arguments: list[str], message: str
) -> None:
    result = cli.invoke(
        main, ["agents", "add", "wu.fang", *arguments, "--password-stdin"], input="short\n"
    )
    assert result.exit_code != 0
    assert message in result.output


def test_desk_report_writes_the_day_csv(cli: CliRunner, desk: Desk, tmp_path: Any) -> None:
    waiting_caller(desk, "apps")
    target = tmp_path / "day.csv"

    result = cli.invoke(main, ["desk", "report", "--day", "2026-11-26", "--csv", str(target)])

    assert result.exit_code == 0, result.output
    assert "2026-11-26,apps,1," in target.read_text(encoding="utf-8")


def test_desk_report_and_the_supervisor_view_include_the_general_line(
    cli: CliRunner, client: FlaskClient, desk: Desk
) -> None:
    waiting_caller(desk, "general")  # a caller who pressed 0

    result = cli.invoke(main, ["desk", "report", "--day", "2026-11-26"])

    assert result.exit_code == 0, result.output
    assert "2026-11-26,general,1," in result.output
    login(client, "chen.jing")
    html = client.get("/desk/supervisor/live").get_data(as_text=True)
    assert "General agents · 人工服务" in html


def test_desk_sweep_runs_once(cli: CliRunner) -> None:
    result = cli.invoke(main, ["desk", "sweep"])

    assert result.exit_code == 0, result.output
    assert result.output.startswith("offers 0, lapsed 0")


def _incoming() -> dict[str, str]:
    return {
        "CallSid": "CA" + "1" * 32,
        "AccountSid": "AC" + "0" * 32,
        "From": "+8613800138000",
        "To": "10010",
        "CallStatus": "ringing",
        "Direction": "inbound",
        "ApiVersion": "2010-04-01",
    }


def test_the_supervisor_sees_complaint_tickets_past_their_limit(
    client: FlaskClient, desk: Desk
) -> None:
    from complaints import tickets
    from ivr.models import Subscriber

    opened = desk.now() - dt.timedelta(hours=5)
    with desk.sessions.begin() as session:
        subscriber = session.scalars(sa.select(Subscriber).order_by(Subscriber.id)).first()
        filed = tickets.file_complaint(
            session,
            subscriber,
            "abnormal_suspension",
            call=None,
            language="zh-CN",
            settings=desk.settings,
            now=opened,
        )
        number = filed.ticket.number
    login(client, "chen.jing")

    html = client.get("/desk/supervisor/live").get_data(as_text=True)

    row = re.search(rf'<tr data-ticket="{number}" class="overdue">(.*?)</tr>', html, re.S)
    assert row is not None, html
    assert "abnormal_suspension" in row.group(1) and "4 h" in row.group(1)
    assert "138****8000" in row.group(1)
