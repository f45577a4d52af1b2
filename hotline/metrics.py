"""Prometheus metrics at ``GET /metrics``.

Webhook latency is measured in each process (histogram per route; set
``PROMETHEUS_MULTIPROC_DIR`` under gunicorn so all workers' samples are merged). Counts of
calls, SMS and waiting callers are read from the database at scrape time, so every process
reports the same truth and nothing is lost when a process restarts.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterable, Iterator

import sqlalchemy as sa
from flask import Blueprint, Flask, Response, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy.orm import Session, sessionmaker

from ivr.logs import log_event
from ivr.models import Call
from sms_followup import pause
from sms_followup.models import OutboxMessage

logger = logging.getLogger("hotline.metrics")

WEBHOOK_SECONDS = Histogram(
    "hotline_webhook_seconds",
    "Time to answer a webhook, by route.",
    ["route", "status"],
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
)


class DatabaseCollector(Collector):
    """Calls by entry and outcome, SMS by status, SMS sending paused (callers waiting for
    an agent, general or expert, are the desk's ``desk_callers_waiting``)."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def collect(self) -> Iterator[GaugeMetricFamily]:
        calls = GaugeMetricFamily(
            "hotline_calls", "Calls by entry point and outcome.", labels=["entry", "status"]
        )
        sms = GaugeMetricFamily("hotline_sms", "Outbox messages by status.", labels=["status"])
        paused = GaugeMetricFamily(
            "hotline_sms_sending_paused",
            "1 while SMS sending is paused: the account's credentials or sender refused, or "
            "Twilio unreachable.",
        )
        with self._sessions() as session:
            by_entry = sa.select(Call.entry, Call.status, sa.func.count())
            for entry, status, count in session.execute(by_entry.group_by(Call.entry, Call.status)):
                calls.add_metric([entry, status], count)
            for status, count in session.execute(
                sa.select(OutboxMessage.status, sa.func.count()).group_by(OutboxMessage.status)
            ):
                sms.add_metric([status], count)
            paused.add_metric([], 0 if pause.sending_paused(session) is None else 1)
        yield from (calls, sms, paused)


class Guarded(Collector):
    """The gauges read from the database, or none when it cannot answer (locked, gone):
    the scrape still answers, with the rest and ``hotline_database_up`` 0, and a log line.
    Once the database failed, the collectors after it are not tried (each would wait)."""

    def __init__(self, collectors: Iterable[Collector]) -> None:
        self._collectors = tuple(collectors)

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily(
            "hotline_database_up", "1 if the database answered this scrape's queries, else 0."
        )
        for collector in self._collectors:
            try:
                families = list(collector.collect())
            except sa.exc.SQLAlchemyError as error:
                log_event(
                    logger,
                    "metrics.database_unavailable",
                    logging.WARNING,
                    collector=type(collector).__name__,
                    error=str(error)[:200],
                )
                up.add_metric([], 0)
                yield up
                return
            yield from families
        up.add_metric([], 1)
        yield up


def install(app: Flask, sessions: sessionmaker[Session], *collectors: Collector) -> None:
    """Time every request and serve ``/metrics`` with ours and the given *collectors*."""
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(WEBHOOK_SECONDS)
    registry.register(Guarded((DatabaseCollector(sessions), *collectors)))

    @app.before_request
    def _start_timer() -> None:
        g.started = time.perf_counter()

    @app.after_request
    def _observe(response: Response) -> Response:
        route = request.url_rule.rule if request.url_rule else "unmatched"
        started = g.get("started")
        if started is not None and route != "/metrics":
            WEBHOOK_SECONDS.labels(route, str(response.status_code)).observe(
                time.perf_counter() - started
            )
        return response

    metrics = Blueprint("metrics", __name__)

    @metrics.get("/metrics")
    def scrape() -> Response:
        return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)

    app.register_blueprint(metrics)
