"""`/metrics`: what an operator's Prometheus scrapes."""

from __future__ import annotations

from flask.testing import FlaskClient

from tests.caller import DEMO_ZH, Caller


def test_metrics_count_calls_by_entry_and_status_and_time_webhooks(
    caller: Caller, client: FlaskClient
) -> None:
    caller.dial("1001011", DEMO_ZH)
    caller.hang_up()
    Caller(caller.twilio).dial("10010", DEMO_ZH).press("0")
    text = client.get("/metrics").get_data(as_text=True)
    assert 'hotline_calls{entry="balance",status="completed"} 1.0' in text
    assert 'hotline_calls{entry="hotline",status="in-progress"} 1.0' in text
    assert 'hotline_sms{status="pending"} 1.0' in text
    assert "hotline_agent_queue_callers 1.0" in text
    assert 'hotline_webhook_seconds_count{route="/voice/incoming",status="200"}' in text
