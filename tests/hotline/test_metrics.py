"""`/metrics`: what an operator's Prometheus scrapes."""

from __future__ import annotations

from flask.testing import FlaskClient
from prometheus_client.parser import text_string_to_metric_families

from tests.support.caller import DEMO_ZH, Caller

Labels = frozenset[tuple[str, str]]
Samples = dict[tuple[str, Labels], float]


def scrape(client: FlaskClient) -> Samples:
    """Every sample of ``/metrics``: (name, labels) → value."""
    text = client.get("/metrics").get_data(as_text=True)
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def named(samples: Samples, name: str) -> dict[Labels, float]:
    return {labels: value for (sample, labels), value in samples.items() if sample == name}


def added(before: Samples, after: Samples, name: str) -> dict[Labels, float]:
    """How much each *name* sample grew from *before* to *after* (those that did)."""
    then = named(before, name)
    grown = {labels: value - then.get(labels, 0) for labels, value in named(after, name).items()}
    return {labels: n for labels, n in grown.items() if n}


def labels(**pairs: str) -> Labels:
    return frozenset(pairs.items())


def test_metrics_count_calls_by_entry_and_status_and_time_webhooks(
    caller: Caller, client: FlaskClient
) -> None:
    # The webhook histogram lasts as long as the process, across tests: count what this adds.
    before = scrape(client)
    caller.dial("1001011", DEMO_ZH)
    caller.hang_up()
    Caller(caller.twilio).dial("10010", DEMO_ZH).press("0")
    after = scrape(client)

    assert named(after, "hotline_calls") == {
        labels(entry="balance", status="completed"): 1,
        labels(entry="hotline", status="in-progress"): 1,
    }
    assert named(after, "hotline_sms") == {labels(status="pending"): 1}
    assert named(after, "hotline_sms_sending_paused") == {labels(): 0}

    answered = {
        labels(route="/voice/incoming", status="200"): 2,
        labels(route="/voice/step", status="200"): 1,
        labels(route="/voice/status", status="200"): 1,
    }
    assert added(before, after, "hotline_webhook_seconds_count") == answered  # not /metrics
    # However long each answer took, it is in the +Inf bucket.
    in_last_bucket = {
        bucket: n
        for bucket, n in added(before, after, "hotline_webhook_seconds_bucket").items()
        if ("le", "+Inf") in bucket
    }
    assert in_last_bucket == {route | {("le", "+Inf")}: n for route, n in answered.items()}
