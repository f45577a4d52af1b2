"""A locked database: every webhook still answers well within Twilio's 15 s.

A second connection holds the database's write lock (SQLite: ``BEGIN EXCLUSIVE``;
PostgreSQL: every table locked ``ACCESS EXCLUSIVE``) for as long as the test needs. The
app's waits are bounded by ``DB_LOCK_TIMEOUT_S`` (here 0.2 s); then a call step apologises
and puts the caller through to an agent, a status callback answers 503 with ``Retry-After``
(Twilio retries it when the URL's connection overrides ask, as the service's own callback
URLs do) and ``/metrics`` answers without the database's gauges.
"""

from __future__ import annotations

import logging
import sqlite3
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.engine import make_url

from expert_desk.models import DeskCall
from hotline.container import Hotline
from hotline.settings import load_settings
from ivr.config import ConfigError
from ivr.db import Base
from ivr.models import Call
from ivr.webhooks import STATUS_RETRY_AFTER_S
from prompts.catalog import prompts
from tests.support.caller import DEMO_ZH, Caller, TwilioClient

TWIML = "text/xml; charset=utf-8"
LOCK_TIMEOUT_S = 0.2


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"db_lock_timeout_s": LOCK_TIMEOUT_S}


@contextmanager
def locked(database_url: str) -> Iterator[None]:
    """The whole database locked by another connection until the block ends."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        holder = sqlite3.connect(str(url.database), isolation_level=None)
        try:
            holder.execute("BEGIN EXCLUSIVE")
            yield
            holder.execute("ROLLBACK")
        finally:
            holder.close()
        return
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn, conn.begin() as held:
            tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
            conn.execute(sa.text(f"LOCK TABLE {tables} IN ACCESS EXCLUSIVE MODE"))
            yield
            held.rollback()
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_database_waits_are_bounded_by_the_setting(hotline: Hotline, backend: str) -> None:
    with hotline.db.connect() as conn:
        if backend == "sqlite":
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 200
        else:
            assert conn.exec_driver_sql("SHOW lock_timeout").scalar() == "200ms"
            assert conn.exec_driver_sql("SHOW statement_timeout").scalar() == "200ms"


def test_the_default_bound_is_well_within_twilios_timeout() -> None:
    assert load_settings({}).db_lock_timeout_s == 3
    assert load_settings({"DB_LOCK_TIMEOUT_S": "0.5"}).db_lock_timeout_s == 0.5
    for too_long in ("0", "15", "nan", "soon"):
        with pytest.raises(ConfigError, match="DB_LOCK_TIMEOUT_S"):
            load_settings({"DB_LOCK_TIMEOUT_S": too_long})


@pytest.mark.postgres
def test_a_locked_database_gets_the_apology_and_a_general_agent(
    caller: Caller, database_url: str
) -> None:
    with locked(database_url):
        answer = caller.twilio.post("/voice/incoming", _dialing(caller, "1001011"))
    assert answer.status_code == 200
    assert answer.headers["Content-Type"] == TWIML
    caller.twiml = ET.fromstring(answer.get_data())
    assert caller.said == [
        prompts("zh-CN")["error.technical"],
        prompts("en-US")["error.technical"],
    ]
    assert caller.enqueued == "general"


@pytest.mark.postgres
def test_the_call_goes_on_once_the_lock_is_gone(caller: Caller, database_url: str) -> None:
    with locked(database_url):
        caller.twilio.post("/voice/incoming", _dialing(caller, "10010"))
    caller.dial("10010", DEMO_ZH)
    assert caller.gather is not None


@pytest.mark.postgres
def test_a_call_status_callback_that_cannot_commit_answers_503_then_is_retried(
    caller: Caller, hotline: Hotline, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caller.dial("1001011", DEMO_ZH)
    with locked(database_url), caplog.at_level(logging.ERROR, "ivr.webhooks"):
        refused = caller.hang_up()
    assert refused.status_code == 503
    assert refused.headers["Retry-After"] == str(STATUS_RETRY_AFTER_S)
    assert _not_committed(caplog) == [("/voice/status", caller.call_sid)]
    assert _call(hotline, caller.call_sid).ended_at is None

    retried = caller.hang_up()  # Twilio's retry
    assert retried.status_code == 200
    assert retried.headers["Content-Type"] == TWIML
    assert _call(hotline, caller.call_sid).ended_at is not None


@pytest.mark.postgres
def test_an_sms_status_callback_that_cannot_commit_answers_503(
    twilio: TwilioClient, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    form = {
        "AccountSid": twilio.settings.twilio_account_sid,
        "MessageSid": "SM" + "2" * 32,
        "MessageStatus": "delivered",
    }
    with locked(database_url), caplog.at_level(logging.ERROR, "ivr.webhooks"):
        refused = twilio.post("/sms/status", form)
    assert refused.status_code == 503
    assert refused.headers["Retry-After"] == str(STATUS_RETRY_AFTER_S)
    assert [(r.path, r.message_sid) for r in _records(caplog)] == [
        ("/sms/status", form["MessageSid"])
    ]
    assert twilio.post("/sms/status", form).status_code == 200


@pytest.mark.postgres
def test_a_desk_callback_status_that_cannot_commit_answers_503(
    caller: Caller, hotline: Hotline, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caller.to_number = DEMO_ZH  # the desk calls the caller back
    with locked(database_url), caplog.at_level(logging.ERROR, "ivr.webhooks"):
        refused = caller.twilio.post(
            "/voice/desk/callback/1/status", caller.params(CallStatus="no-answer")
        )
    assert refused.status_code == 503
    assert refused.headers["Retry-After"] == str(STATUS_RETRY_AFTER_S)
    assert _not_committed(caplog) == [("/voice/desk/callback/1/status", caller.call_sid)]
    with hotline.sessions() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(DeskCall)) == 0
    again = caller.twilio.post(
        "/voice/desk/callback/1/status", caller.params(CallStatus="no-answer")
    )
    assert again.status_code == 200


@pytest.mark.postgres
def test_metrics_answer_without_the_database_gauges_while_it_is_locked(
    caller: Caller, client: FlaskClient, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caller.dial("1001011", DEMO_ZH)
    with locked(database_url), caplog.at_level(logging.WARNING, "hotline.metrics"):
        response = client.get("/metrics")
    assert response.status_code == 200
    while_locked = _families(text=response.get_data(as_text=True))
    assert while_locked["hotline_database_up"] == 0
    assert "hotline_webhook_seconds" in while_locked
    assert not {"hotline_calls", "hotline_sms", "desk_agents"} & set(while_locked)
    logged = [r.getMessage() for r in caplog.records if r.name == "hotline.metrics"]
    assert logged == ["metrics.database_unavailable"]

    served = _families(client)  # the lock is gone: every gauge is back
    assert served["hotline_database_up"] == 1
    assert {"hotline_calls", "hotline_sms", "desk_agents"} <= set(served)


# -- helpers -------------------------------------------------------------------------------


def _dialing(caller: Caller, number: str) -> dict[str, str]:
    caller.to_number = number
    return caller.params(CallStatus="ringing")


def _call(hotline: Hotline, call_sid: str) -> Call:
    with hotline.sessions() as session:
        call = session.scalar(Call.by_sid(call_sid))
        assert call is not None
        return call


def _records(caplog: pytest.LogCaptureFixture) -> list[Any]:
    return [r for r in caplog.records if r.getMessage() == "webhook.status_not_committed"]


def _not_committed(caplog: pytest.LogCaptureFixture) -> list[tuple[str, str]]:
    return [(r.path, r.call_sid) for r in _records(caplog)]


def _families(client: FlaskClient | None = None, text: str | None = None) -> dict[str, Any]:
    """Each metric family of a scrape by name; a single unlabelled gauge by its value."""
    if text is None:
        assert client is not None
        text = client.get("/metrics").get_data(as_text=True)
    families = {}
    for family in text_string_to_metric_families(text):
        samples = family.samples
        families[family.name] = samples[0].value if len(samples) == 1 else samples
    return families
